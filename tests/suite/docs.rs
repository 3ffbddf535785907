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
    let mut files = Vec::new();
    text_files(Path::new(ROOT), &mut files);
    let mut broken = Vec::new();
    for page in files
        .iter()
        .filter(|path| path.extension() == Some("md".as_ref()))
    {
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
    let mut files = Vec::new();
    text_files(Path::new(ROOT), &mut files);
    let mut unsaved = Vec::new();
    for page in files
        .iter()
        .filter(|path| path.extension() == Some("md".as_ref()))
    {
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
