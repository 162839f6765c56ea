//! The layout rule of `locker-core` (issue 15): no import circle between its modules (the
//! scanner: [`crate::module_graph`]).

use std::collections::BTreeSet;
use std::path::Path;

use crate::module_graph::{Graph, circles, describe, module_graph, module_name, resolve, scan};

#[test]
fn no_import_circle_between_the_modules_of_locker_core() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    assert!(graph.len() > 50, "expected the crate's modules under {}, found {}", src.display(), graph.len());
    assert!(
        graph["service::rentals"].contains("service::doors"),
        "the scanner should see `use super::doors::..` in service/rentals.rs; edges found: {:?}",
        graph["service::rentals"]
    );
    let circles = circles(&graph);
    assert!(
        circles.is_empty(),
        "import circles in locker-core (each list is one strongly connected group, with its edges):\n{}",
        describe(&graph, &circles)
    );
}

#[test]
fn the_scanner_finds_a_circle_when_there_is_one() {
    let files = [
        ("a.rs", "use crate::b::Thing;\n#[cfg(test)]\nmod tests { use crate::c::X; }\n"),
        ("b.rs", "use crate::{a::Other, d};\n"),
        ("c.rs", "// use crate::a;\n"),
        ("d.rs", "fn f() { super::c::go(); }\n"),
    ];
    let graph: Graph = files.iter().map(|(file, text)| (module_name(Path::new(file)), scan(file, text))).collect();
    let graph = resolve(graph);
    assert_eq!(circles(&graph), vec![BTreeSet::from(["a".to_string(), "b".to_string()])]);
    assert_eq!(graph["d"], BTreeSet::from(["c".to_string()]));
    assert!(graph["c"].is_empty(), "a commented-out import is not an edge");
}
