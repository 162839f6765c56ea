//! The layout rule of `locker-server` (issue 15): no import circle between its modules, with
//! the core's scanner (`locker-core/tests/core_tests/module_graph.rs`, included by path).

#[path = "../../../locker-core/tests/core_tests/module_graph.rs"]
#[allow(dead_code)]
mod module_graph;

use std::path::Path;

use module_graph::{circles, describe, module_graph};

#[test]
fn no_import_circle_between_the_modules_of_locker_server() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    assert!(graph.len() > 30, "expected the crate's modules under {}, found {}", src.display(), graph.len());
    assert!(
        graph["openapi"].contains("catalog") && graph["seeds::barcodes"].contains("catalog"),
        "the scanner should see the catalogue's users; edges found: {:?}, {:?}",
        graph["openapi"],
        graph["seeds::barcodes"]
    );
    let circles = circles(&graph);
    assert!(
        circles.is_empty(),
        "import circles in locker-server (each list is one strongly connected group, with its edges):\n{}",
        describe(&graph, &circles)
    );
}
