//! Reading the files users name (events, case files, expectations, config files, fuzz artifacts, reports):
//! only regular files, and only up to a size limit checked before any byte is read, so that `/dev/zero`,
//! a FIFO or a runaway file is refused at once instead of read until memory runs out; and writing a file
//! whole, so that no reader sees half of it.

use std::io::Read as _;
use std::path::Path;

/// Opens `path` for reading if it is a regular file (for files read a line at a time, whatever their size).
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
    }
    Ok(file)
}

/// Writes `contents` to `path` whole: into a temporary file beside it, then renamed over it, so that a
/// reader never sees half a file and what was there stays if the write fails.
pub fn write_replacing(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let temporary = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    if let Err(e) = std::fs::write(&temporary, contents).and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(e);
    }
    Ok(())
}

/// Reads `path` whole if it is a regular file of at most `max_bytes`.
pub fn read_limited(path: &Path, max_bytes: u64) -> std::io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let metadata = file.metadata()?;
    if metadata.len() > max_bytes {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} bytes, over the limit of {max_bytes} bytes", metadata.len()),
        ));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    // The file may grow while it is read: never take more than the limit.
    file.take(max_bytes + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("over the limit of {max_bytes} bytes"),
        ));
    }
    Ok(bytes)
}

/// Reads `path` as UTF-8 text with [`read_limited`].
pub fn read_text_limited(path: &Path, max_bytes: u64) -> std::io::Result<String> {
    String::from_utf8(read_limited(path, max_bytes)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not UTF-8 text: {e}")))
}

/// The limit for small text files (configs, expectations): 4 MiB.
pub const MAX_TEXT_FILE_BYTES: u64 = 4 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_folders_and_big_files_are_refused_before_reading() {
        assert!(read_limited(Path::new("/dev/zero"), 10).unwrap_err().to_string().contains("not a regular file"));
        assert!(read_limited(Path::new("/"), 10).is_err());
        let path = std::env::temp_dir().join(format!("tbjwt-files-{}", std::process::id()));
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_limited(&path, 5).unwrap(), b"12345");
        assert!(read_limited(&path, 4).unwrap_err().to_string().contains("over the limit of 4 bytes"));
        std::fs::remove_file(&path).unwrap();
    }
}
