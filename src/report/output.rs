//! Report outputs: the URL template (`{name}`, `{date}`, `{time}`,
//! `{account_id}` and any other parameter) and the atomic write. A local file
//! is written under a temporary name in the target directory, synced, then
//! linked (no `--replace`: fails if the target exists, atomically) or renamed
//! (`--replace`) into place; an object store gets one PUT, conditional on the
//! object not existing unless replacing. Either way no reader sees a partial file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use object_store::{ObjectStore, PutMode, PutOptions, PutPayload};

use crate::dataset::Dataset;
use crate::error::{Error, Result};

/// The error message of an output that exists and may not be replaced.
pub const EXISTS: &str = "exists already (give --replace, or replace = true, to overwrite it)";

/// Expands `{key}` placeholders of `template` from `values`. Values are made
/// safe as one path segment (anything but letters, digits, `.`, `-`, `_` becomes `_`).
/// An unknown placeholder or an unclosed `{` is an error naming it.
pub fn expand(template: &str, values: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("unclosed '{{' in output template '{template}'"))?;
        let key = &after[..close];
        let value = values.get(key).ok_or_else(|| {
            format!(
                "unknown placeholder {{{key}}} in '{template}' (known: {})",
                values
                    .keys()
                    .map(|k| format!("{{{k}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        let safe: String = value
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        // No hidden files and no `..`: a leading dot becomes `_`.
        match safe.strip_prefix('.') {
            Some(tail) => {
                out.push('_');
                out.push_str(tail);
            }
            None => out.push_str(&safe),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Writes `bytes` to `url` (a path, `file://…` or `s3://bucket/key`) atomically.
/// Without `replace` an existing output is an error and is left untouched.
pub async fn write_atomic(url: &str, bytes: Vec<u8>, replace: bool) -> Result<()> {
    let err = |message: String| Error::Output {
        url: url.to_string(),
        message,
    };
    if let Some(rest) = url.strip_prefix("s3://") {
        let (bucket, key) = rest
            .split_once('/')
            .ok_or_else(|| err("expected s3://bucket/key".into()))?;
        if bucket.is_empty() || key.is_empty() || key.ends_with('/') {
            return Err(err("expected s3://bucket/key".into()));
        }
        let dataset = Dataset::open(&format!("s3://{bucket}")).map_err(|e| err(e.to_string()))?;
        return put_object(
            dataset.store.as_ref(),
            &object_store::path::Path::from(key),
            bytes,
            replace,
        )
        .await
        .map_err(err);
    }
    let path = match url.strip_prefix("file://") {
        Some(p) => PathBuf::from(p),
        None if url.contains("://") => {
            return Err(err(
                "unsupported scheme: use a path, file:// or s3://".into()
            ));
        }
        None => PathBuf::from(url),
    };
    let written = tokio::task::spawn_blocking(move || write_local(&path, &bytes, replace))
        .await
        .map_err(|e| err(format!("the writer stopped: {e}")))?;
    written.map_err(err)
}

/// One PUT of the whole object; `PutMode::Create` unless replacing.
pub async fn put_object(
    store: &dyn ObjectStore,
    key: &object_store::path::Path,
    bytes: Vec<u8>,
    replace: bool,
) -> Result<(), String> {
    let mode = if replace {
        PutMode::Overwrite
    } else {
        PutMode::Create
    };
    let options = PutOptions {
        mode,
        ..Default::default()
    };
    match store.put_opts(key, PutPayload::from(bytes), options).await {
        Ok(_) => Ok(()),
        Err(
            object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. },
        ) => Err(EXISTS.into()),
        Err(e) => Err(format!("cannot write: {e}")),
    }
}

fn write_local(path: &Path, bytes: &[u8], replace: bool) -> Result<(), String> {
    let file_name = path
        .file_name()
        .ok_or_else(|| "the output names a directory, not a file".to_string())?
        .to_string_lossy()
        .into_owned();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !replace && path.exists() {
        return Err(EXISTS.into());
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create directory {}: {e}", dir.display()))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let temp = dir.join(format!(".{file_name}.{}.{nanos}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
        file.write_all(bytes)
            .map_err(|e| format!("cannot write {}: {e}", temp.display()))?;
        file.sync_all()
            .map_err(|e| format!("cannot sync {}: {e}", temp.display()))?;
        if replace {
            std::fs::rename(&temp, path)
                .map_err(|e| format!("cannot move the file into place: {e}"))
        } else {
            match std::fs::hard_link(&temp, path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(EXISTS.into()),
                Err(e) => Err(format!("cannot move the file into place: {e}")),
            }
        }
    })();
    let _ = std::fs::remove_file(&temp);
    if result.is_ok()
        && let Ok(d) = std::fs::File::open(&dir)
    {
        let _ = d.sync_all();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> BTreeMap<String, String> {
        [
            ("name".to_string(), "daily".to_string()),
            ("date".into(), "2026-06-08".into()),
            ("account_id".into(), "../acc 1".into()),
        ]
        .into()
    }

    #[test]
    fn expands_placeholders_and_keeps_values_inside_one_segment() {
        assert_eq!(
            expand("out/{name}/{account_id}-{date}.csv", &values()).unwrap(),
            "out/daily/_._acc_1-2026-06-08.csv"
        );
        assert!(
            expand("out/{nmae}.csv", &values())
                .unwrap_err()
                .contains("unknown placeholder {nmae}")
        );
        assert!(
            expand("out/{name.csv", &values())
                .unwrap_err()
                .contains("unclosed")
        );
    }

    #[tokio::test]
    async fn local_writes_refuse_to_overwrite_unless_replacing_and_leave_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a/b/report.csv");
        let url = target.display().to_string();
        write_atomic(&url, b"one".to_vec(), false).await.unwrap();
        let err = write_atomic(&url, b"two".to_vec(), false)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("exists already") && err.contains("report.csv"),
            "{err}"
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"one");
        write_atomic(&format!("file://{url}"), b"three".to_vec(), true)
            .await
            .unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"three");
        let names: Vec<_> = std::fs::read_dir(target.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.csv"], "no temporary file is left behind");
    }

    #[tokio::test]
    async fn object_store_puts_are_conditional_unless_replacing() {
        let store = object_store::memory::InMemory::new();
        let key = object_store::path::Path::from("reports/x.json");
        put_object(&store, &key, b"1".to_vec(), false)
            .await
            .unwrap();
        assert!(
            put_object(&store, &key, b"2".to_vec(), false)
                .await
                .unwrap_err()
                .contains("exists already")
        );
        put_object(&store, &key, b"3".to_vec(), true).await.unwrap();
        let got = object_store::ObjectStoreExt::get(&store, &key)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(got.as_ref(), b"3");
    }

    #[tokio::test]
    async fn an_unwritable_directory_is_an_error_naming_the_output() {
        let err = write_atomic("/proc/conversql/report.csv", b"x".to_vec(), false)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("output /proc/conversql/report.csv: cannot"),
            "{err}"
        );
    }
}
