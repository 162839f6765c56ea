mod face;
