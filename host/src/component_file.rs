//! Reading a component file with a size cap (`PLUGIN_MAX_BYTES`, 64 MiB by
//! default), so that a huge file in a plugin directory or the plugins file
//! costs a `stat`, not its size in memory. The cap is checked on the file's
//! length before anything is read, and the read itself stops one byte past
//! the cap, so a file that grows in the meantime cannot exceed it either.

use std::io::Read;
use std::path::Path;

use anyhow::Context;

/// The default cap: far above any tool group (the built-in ones are a few
/// MiB), far below what would strain the server's memory.
pub const DEFAULT_MAX_BYTES: u64 = 64 << 20;

/// Read the component at `path`, refusing it unread when it is larger than
/// `max_bytes`; the error names the file, its size and the setting.
pub fn read_bounded(path: &Path, max_bytes: u64) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("opening the component {}", path.display()))?;
    let length = file
        .metadata()
        .with_context(|| format!("reading the size of the component {}", path.display()))?
        .len();
    if length > max_bytes {
        return Err(too_large(path, Some(length), max_bytes));
    }
    read_at_most(file, length, max_bytes)
        .with_context(|| format!("reading the component {}", path.display()))?
        .ok_or_else(|| too_large(path, None, max_bytes))
}

/// Read `reader` to its end, or `None` once it passes `max_bytes`.
fn read_at_most(
    reader: impl Read,
    expected: u64,
    max_bytes: u64,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::with_capacity(expected.min(max_bytes) as usize);
    reader.take(max_bytes + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= max_bytes).then_some(bytes))
}

fn too_large(path: &Path, length: Option<u64>, max_bytes: u64) -> anyhow::Error {
    let size = match length {
        Some(n) => format!("{n} bytes"),
        None => "growing while it was read, and now larger than that".to_string(),
    };
    anyhow::anyhow!(
        "the component {} is {size}, over the {max_bytes}-byte limit on component files; refusing it unread (set PLUGIN_MAX_BYTES to allow larger components; the default is {DEFAULT_MAX_BYTES})",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_cap_is_refused_by_its_size_and_one_under_is_read() {
        let dir = std::env::temp_dir().join(format!("component-file-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.wasm");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(10 << 30).unwrap(); // sparse: 10 GiB on paper, nothing on disk
        let err = format!("{:#}", read_bounded(&path, 1024).unwrap_err());
        assert!(
            err.contains("big.wasm")
                && err.contains("10737418240 bytes")
                && err.contains("PLUGIN_MAX_BYTES"),
            "{err}"
        );
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_bounded(&path, 10).unwrap(), b"0123456789");
        assert!(read_bounded(&path, 9).is_err());
    }

    #[test]
    fn the_read_stops_past_the_cap_whatever_the_size_said() {
        let data = [7u8; 100];
        // The size seen before the read said 10; the reader has 100 now.
        assert_eq!(read_at_most(&data[..], 10, 50).unwrap(), None);
        assert_eq!(
            read_at_most(&data[..], 10, 100).unwrap().map(|b| b.len()),
            Some(100)
        );
    }
}
