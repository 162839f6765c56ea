-- Scanner records (seed 002): what a kiosk's barcode scanner read, one row per distinct
-- (symbology, data). No foreign key on created_by: a record outlives the account.
CREATE TABLE barcodes (
    id         TEXT PRIMARY KEY NOT NULL,
    symbology  TEXT NOT NULL CHECK (symbology IN ('QR', 'EAN13', 'EAN8', 'UPCA', 'CODE128')),
    data       TEXT NOT NULL CHECK (data <> ''),
    device     TEXT NOT NULL,
    location   TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT barcodes_data_key UNIQUE (symbology, data)
);
CREATE INDEX barcodes_newest ON barcodes (created_at, id);
