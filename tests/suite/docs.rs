//! The docs hold up: no file outside the repository is cited (its users have only the repository),
//! and every relative link of a Markdown page resolves.

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The repository's own text files: everything but build output, virtual environments and git.
fn text_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                text_files(&path, into);
            }
        } else if [".md", ".rs", ".py", ".yaml", ".toml", ".sh", ".json", ".in"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
        {
            into.push(path);
        }
    }
}

/// The repository's Markdown pages.
fn markdown_pages() -> Vec<PathBuf> {
    let mut files = Vec::new();
    text_files(Path::new(ROOT), &mut files);
    files.retain(|path| path.extension() == Some("md".as_ref()));
    files
}

#[test]
fn no_file_outside_the_repository_is_cited() {
    // Spelled in parts, so that this file does not cite them either.
    let outside = [["aws-", "facts"].concat(), ["../", "shared"].concat()];
    let mut files = Vec::new();
    text_files(Path::new(ROOT), &mut files);
    let citing: Vec<String> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            outside.iter().any(|name| text.contains(name.as_str()))
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(files.len() > 50, "the walk found the repository's files");
    assert_eq!(citing, Vec::<String>::new());
}

#[test]
fn every_relative_link_of_the_docs_resolves() {
    let mut broken = Vec::new();
    for page in &markdown_pages() {
        let text = std::fs::read_to_string(page).unwrap();
        for link in text
            .split("](")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
        {
            let target = link.split('#').next().unwrap();
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            if !page.parent().unwrap().join(target).exists() {
                broken.push(format!("{}: {link}", page.display()));
            }
        }
    }
    assert_eq!(broken, Vec::<String>::new());
}

#[test]
fn every_sam_deploy_that_overrides_a_parameter_saves_it() {
    // A `sam deploy --parameter-overrides` without --save-params is undone by the next plain
    // `sam deploy`, which sends samconfig.toml's saved list again; a guided deploy saves its own.
    let mut unsaved = Vec::new();
    for page in &markdown_pages() {
        let text = std::fs::read_to_string(page).unwrap().replace("\\\n", " ");
        for command in text.split("sam deploy").skip(1) {
            let command = command.split(['\n', '`', ';']).next().unwrap();
            if command.contains("--parameter-overrides")
                && !command.contains("--save-params")
                && !command.contains("--guided")
            {
                unsaved.push(format!("{}: sam deploy{command}", page.display()));
            }
        }
    }
    assert_eq!(unsaved, Vec::<String>::new());
}

/// The names a page quotes in backticks.
fn quoted(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// Every item name the crate declares (functions, types, constants, modules, macros).
fn declared_items() -> std::collections::BTreeSet<String> {
    let mut files = Vec::new();
    text_files(&Path::new(ROOT).join("src"), &mut files);
    let mut items = std::collections::BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let words: Vec<&str> = text
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '!'))
            .collect();
        for pair in words.windows(2) {
            if [
                "fn",
                "struct",
                "enum",
                "const",
                "mod",
                "type",
                "trait",
                "macro_rules!",
            ]
            .contains(&pair[0])
            {
                items.insert(pair[1].to_owned());
            }
        }
        if let Some(stem) = file.file_stem() {
            items.insert(stem.to_string_lossy().into_owned());
        }
    }
    items
}

#[test]
fn no_page_names_a_file_or_an_item_that_does_not_exist() {
    let items = declared_items();
    let modules: Vec<String> = std::fs::read_dir(Path::new(ROOT).join("src"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let top = [
        "src/", "tests/", "events/", "scripts/", "bench/", "docs/", "fuzz/", ".ci/",
    ];
    let mut missing = Vec::new();
    for page in &markdown_pages() {
        let text = std::fs::read_to_string(page).unwrap();
        for name in quoted(&text) {
            let name = name.trim();
            if top.iter().any(|dir| name.starts_with(dir))
                && !name.contains(' ')
                && !name.contains('*')
            {
                let path = name.split(':').next().unwrap();
                if !Path::new(ROOT).join(path).exists() {
                    missing.push(format!("{}: file {name}", page.display()));
                }
            }
            let segments: Vec<&str> = name.split("::").collect();
            if segments.len() >= 2 && modules.contains(&segments[0].to_owned()) {
                for segment in &segments[1..] {
                    let segment = segment.trim_end_matches("()").trim_end_matches('!');
                    if !items.contains(segment) && !items.contains(&format!("{segment}!")) {
                        missing.push(format!("{}: item {name}", page.display()));
                    }
                }
            }
        }
    }
    assert_eq!(missing, Vec::<String>::new());
}

#[test]
fn the_readme_is_a_page() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let words = readme.split_whitespace().count();
    assert!(
        words <= 3_000,
        "README.md has {words} words: the reference belongs in docs/"
    );
    assert!(readme.contains("## Where to go next"));
}

#[test]
fn the_layers_import_one_way() {
    // lib.rs's map, top to bottom: a layer imports only the layers below it.
    const LAYERS: [&str; 13] = [
        "handler",
        "workflow",
        "preflight",
        "app",
        "report",
        "aws",
        "policy",
        "event",
        "config",
        "outcome",
        "domain",
        "error",
        "quote",
    ];
    let rank = |name: &str| LAYERS.iter().position(|layer| *layer == name);
    let mut files = Vec::new();
    text_files(&Path::new(ROOT).join("src"), &mut files);
    let mut upward = Vec::new();
    for file in files
        .iter()
        .filter(|path| path.extension() == Some("rs".as_ref()))
    {
        let relative = file.strip_prefix(Path::new(ROOT).join("src")).unwrap();
        let layer = relative.iter().next().unwrap().to_string_lossy();
        let layer = layer.trim_end_matches(".rs");
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for used in code.split("crate::").skip(1) {
            let used: String = used
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if let (Some(from), Some(to)) = (rank(layer), rank(&used)) {
                if to < from {
                    upward.push(format!("{}: {layer} imports {used}", relative.display()));
                }
            }
        }
    }
    assert_eq!(upward, Vec::<String>::new());
}

#[test]
fn every_alarm_of_the_templates_is_in_the_table_of_alarms() {
    let table = std::fs::read_to_string(Path::new(ROOT).join("docs/operations.md")).unwrap();
    let table = &table[table
        .find("## Alarms")
        .expect("docs/operations.md has ## Alarms")..];
    let mut missing = Vec::new();
    for template in ["template.yaml", "management.yaml"] {
        let text = std::fs::read_to_string(Path::new(ROOT).join(template)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            if line.trim() == "Type: AWS::CloudWatch::Alarm" {
                let name = lines[index - 1].trim().trim_end_matches(':');
                if !table.contains(&format!("| `{name}`")) {
                    missing.push(format!("{template}: {name}"));
                }
            }
        }
    }
    assert_eq!(missing, Vec::<String>::new());
}
