//! Configuration sources: the files named on the command line, with directories expanded to the
//! `.kdl` files inside them, read into memory once and shared by every diagnostic.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::NamedSource;

/// One configuration file's text and the name it is shown under.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<String>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceFile { name: name.into(), text: Arc::new(text.into()) }
    }

    pub fn named_source(&self) -> NamedSource<Arc<String>> {
        NamedSource::new(self.name.clone(), Arc::clone(&self.text)).with_language("kdl")
    }
}

/// The largest configuration file read: an access.kdl of 3,000 access entries is under 1 MiB.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is {bytes} bytes, more than the {MAX_FILE_BYTES} an access.kdl may be")]
    TooLarge { path: PathBuf, bytes: u64 },
}

/// Expands each path: a file is taken as it is, a directory contributes its `*.kdl` files
/// (recursively, in name order, so the result does not depend on the file system). Each file and
/// folder is followed once, whatever links lead to it: a link loop ends, and no file counts twice.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SourceError> {
    let mut files = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for path in paths {
        if path.is_dir() {
            collect_kdl_files(path, &mut files, &mut seen)?;
        } else if seen.insert(std::fs::canonicalize(path).unwrap_or_else(|_| path.clone())) {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn collect_kdl_files(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    seen: &mut std::collections::BTreeSet<PathBuf>,
) -> Result<(), SourceError> {
    let read = |e| SourceError::Read { path: dir.to_path_buf(), source: e };
    if !seen.insert(std::fs::canonicalize(dir).map_err(read)?) {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).map_err(read)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>().map_err(read)?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_kdl_files(&path, out, seen)?;
        } else if path.extension().is_some_and(|e| e == "kdl")
            && seen.insert(std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads every file; a file that cannot be read is an error for that file alone.
pub fn read_files(paths: &[PathBuf]) -> Result<Vec<SourceFile>, SourceError> {
    paths
        .iter()
        .map(|path| {
            let read = |source| SourceError::Read { path: path.clone(), source };
            let bytes = std::fs::metadata(path).map_err(read)?.len();
            if bytes > MAX_FILE_BYTES {
                return Err(SourceError::TooLarge { path: path.clone(), bytes });
            }
            std::fs::read_to_string(path).map(|text| SourceFile::new(path.display().to_string(), text)).map_err(read)
        })
        .collect()
}
