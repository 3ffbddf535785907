//! The crate keeps its own limits (docs/architecture.md, "Limits"): no function over 60 lines, none
//! over five parameters, no file over 450 production lines, and no free-function name defined
//! twice. The code is read as rustfmt writes it: an item's closing brace stands at its own indent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const MAX_FUNCTION_LINES: usize = 60;
const MAX_PARAMETERS: usize = 5;
const MAX_PRODUCTION_LINES: usize = 450;

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension() == Some("rs".as_ref()) {
            into.push(path);
        }
    }
}

/// A function as it stands in a file.
struct Function {
    name: String,
    /// Its first line (1-based).
    line: usize,
    lines: usize,
    parameters: usize,
    /// Not a method: outside any `impl` or `trait` block.
    free: bool,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The name of the function a line declares, if it declares one.
fn declared(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace();
    while let Some(word) = words.next() {
        match word {
            "fn" => {
                let rest = words.next()?;
                let end = rest.find(['(', '<']).unwrap_or(rest.len());
                return Some(&rest[..end]);
            }
            "pub" | "const" | "async" | "unsafe" | "extern" => {}
            word if word.starts_with("pub(") => {}
            _ => return None,
        }
    }
    None
}

/// The parameters of a signature, less `self`: the commas at depth zero of its parentheses.
fn count_parameters(signature: &str) -> usize {
    let open = signature.find('(').unwrap();
    let (mut depth, mut count, mut current) = (0i32, 0, String::new());
    for c in signature[open + 1..].chars() {
        match c {
            '(' | '<' | '[' => depth += 1,
            ')' | '>' | ']' if depth == 0 => break,
            ')' | '>' | ']' => depth -= 1,
            ',' if depth == 0 => {
                if !current.trim().is_empty() && !current.contains("self") {
                    count += 1;
                }
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() && !current.contains("self") {
        count += 1;
    }
    count
}

/// The production lines of a file (those before its tests), and the functions in them.
fn read_functions(text: &str) -> (usize, Vec<Function>) {
    let lines: Vec<&str> = text.lines().collect();
    let production = lines
        .iter()
        .position(|line| line.starts_with("#[cfg(test)]"))
        .unwrap_or(lines.len());
    let mut blocks: Vec<usize> = Vec::new();
    let mut functions = Vec::new();
    for (index, line) in lines[..production].iter().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('}') {
            blocks.retain(|open| *open < indent(line));
        }
        let opens_block = trimmed
            .split_whitespace()
            .take(3)
            .any(|word| word.starts_with("impl") || word == "trait");
        if opens_block && trimmed.ends_with('{') {
            blocks.push(indent(line));
        }
        let Some(name) = declared(line) else {
            continue;
        };
        let mut end = index;
        let mut signature = String::new();
        while end < production {
            signature.push_str(lines[end]);
            let done = lines[end].trim_end();
            if done.ends_with('{') || done.ends_with(';') || done.ends_with('}') {
                break;
            }
            end += 1;
        }
        if lines[end].trim_end().ends_with('{') {
            while end < production && lines[end] != format!("{}}}", " ".repeat(indent(line))) {
                end += 1;
            }
        }
        functions.push(Function {
            name: name.to_owned(),
            line: index + 1,
            lines: end - index + 1,
            parameters: count_parameters(&signature),
            free: !blocks.iter().any(|open| *open < indent(line)),
        });
    }
    (production, functions)
}

#[test]
fn the_crate_keeps_its_limits() {
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join("src"), &mut files);
    files.sort();
    let mut broken = Vec::new();
    let mut free: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &files {
        let relative = file.strip_prefix(ROOT).unwrap().display().to_string();
        let (production, functions) = read_functions(&std::fs::read_to_string(file).unwrap());
        if production > MAX_PRODUCTION_LINES {
            broken.push(format!("{relative}: {production} production lines"));
        }
        for function in functions {
            let at = format!("{relative}:{} {}", function.line, function.name);
            if function.lines > MAX_FUNCTION_LINES {
                broken.push(format!("{at}: {} lines", function.lines));
            }
            if function.parameters > MAX_PARAMETERS {
                broken.push(format!("{at}: {} parameters", function.parameters));
            }
            if function.free {
                free.entry(function.name).or_default().push(at);
            }
        }
    }
    for places in free.values().filter(|places| places.len() > 1) {
        broken.push(format!("a free function's name defined twice: {places:?}"));
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn the_reading_finds_length_parameters_and_methods() {
    let text = "fn free(a: u8, b: Vec<(u8, u8)>) -> u8 {\n    a\n}\n\nimpl<T> X<T> {\n    pub(crate) async fn method(\n        &self,\n        c: u8,\n    ) {\n        let _ = c;\n    }\n}\n#[cfg(test)]\nfn tested() {}\n";
    let (production, functions) = read_functions(text);
    assert_eq!(production, 12);
    let seen: Vec<(&str, usize, usize, bool)> = functions
        .iter()
        .map(|f| (f.name.as_str(), f.lines, f.parameters, f.free))
        .collect();
    assert_eq!(seen, [("free", 3, 2, true), ("method", 6, 1, false)]);
}
