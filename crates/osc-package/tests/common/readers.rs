//! Reads a zip with the readers packages meet in the wild: Java's `ZipInputStream` (which reads
//! only local headers, as a stream) and `ZipFile`, Python's `zipfile` and Info-ZIP's `unzip -t`.
//!
//! Shared, through `#[path]`, by the crate's unit tests, its integration tests and
//! `cargo xtask zip-readers`; it uses only std so each can include it. A reader that is not
//! installed is an error that says how to install it: a test that skipped it would pass without
//! having tested anything.

use std::fmt;
use std::path::Path;
use std::process::{Command, Output};

/// One entry as a reader read it: the size and CRC-32 of the bytes it actually read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub size: u64,
    pub crc32: u32,
}

impl fmt::Display for Listed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:08x} {}", self.size, self.crc32, self.name)
    }
}

const JAVA_READERS: &str = include_str!("../fixtures/ZipReaders.java");

/// Reads every entry through with each reader and fails on a refusal, on a CRC that does not match
/// the bytes, on flag bit 3 (a data descriptor), or when the readers disagree on the entries;
/// returns the entries, in the zip's order, as every reader read them.
pub fn read_with_every_reader(zip: &Path) -> Result<Vec<Listed>, String> {
    let zip = zip
        .canonicalize()
        .map_err(|error| format!("{}: cannot open it ({error})", zip.display()))?;
    let java = java(&zip)?;
    let (zip_input_stream, zip_file): (Vec<_>, Vec<_>) = java
        .into_iter()
        .partition(|(reader, _)| reader == "ZipInputStream");
    let strip = |listed: Vec<(String, Listed)>| listed.into_iter().map(|(_, entry)| entry);
    let zip_input_stream: Vec<Listed> = strip(zip_input_stream).collect();
    let zip_file: Vec<Listed> = strip(zip_file).collect();
    let python = python(&zip)?;
    unzip(&zip)?;

    for (reader, listed) in [("Java ZipFile", &zip_file), ("Python zipfile", &python)] {
        if *listed != zip_input_stream {
            return Err(format!(
                "{}: Java ZipInputStream and {reader} read different entries:\n{}\nand\n{}",
                zip.display(),
                lines(&zip_input_stream),
                lines(listed)
            ));
        }
    }
    Ok(zip_input_stream)
}

fn lines(listed: &[Listed]) -> String {
    listed
        .iter()
        .map(|entry| format!("  {entry}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `ZipInputStream` then `ZipFile`, each line tagged with its reader.
fn java(zip: &Path) -> Result<Vec<(String, Listed)>, String> {
    let dir = std::env::temp_dir().join(format!("zip-readers-{}-{}", std::process::id(), unique()));
    std::fs::create_dir_all(&dir)
        .map_err(|error| format!("{}: cannot create it ({error})", dir.display()))?;
    let source = dir.join("ZipReaders.java");
    let result = std::fs::write(&source, JAVA_READERS)
        .map_err(|error| format!("{}: cannot write it ({error})", source.display()))
        .and_then(|()| {
            run(
                Command::new("java").arg(&source).arg(zip),
                "java",
                "install a JDK 17 or later: apt-get install openjdk-17-jdk-headless",
            )
        });
    let _ = std::fs::remove_dir_all(&dir);
    parse(&result?, "java", |line| {
        let (reader, rest) = line.split_once(' ')?;
        Some((reader.to_owned(), listed(rest)?))
    })
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

const PYTHON_READER: &str = r#"
import sys, zipfile, zlib
with zipfile.ZipFile(sys.argv[1]) as archive:
    for info in archive.infolist():
        if info.flag_bits & 8:
            sys.exit(f"{info.filename}: flag bit 3 is set (a data descriptor follows the data)")
        crc, size = 0, 0
        # ZipExtFile checks the CRC at the end of the entry and the local header's name.
        with archive.open(info) as entry:
            while chunk := entry.read(1 << 20):
                crc = zlib.crc32(chunk, crc)
                size += len(chunk)
        print(f"{size} {crc:08x} {info.filename}")
"#;

fn python(zip: &Path) -> Result<Vec<Listed>, String> {
    let output = run(
        Command::new("python3")
            .arg("-c")
            .arg(PYTHON_READER)
            .arg(zip),
        "python3",
        "install Python 3.8 or later: apt-get install python3",
    )?;
    parse(&output, "python3 zipfile", listed)
}

fn unzip(zip: &Path) -> Result<(), String> {
    let output = run(
        Command::new("unzip").arg("-t").arg(zip),
        "unzip",
        "install Info-ZIP unzip: apt-get install unzip",
    )?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if stdout.contains("No errors detected") {
        Ok(())
    } else {
        Err(format!("unzip -t {}:\n{stdout}", zip.display()))
    }
}

/// Runs a reader; a reader that is missing or fails is an error.
fn run(command: &mut Command, program: &str, install: &str) -> Result<Output, String> {
    let output = match command.output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "{program} is not installed, and the zip must be read with it: {install}"
            ));
        }
        Err(error) => return Err(format!("cannot run {program} ({error})")),
    };
    if !output.status.success() {
        return Err(format!(
            "{command:?} refused the zip ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(output)
}

fn parse<T>(
    output: &Output,
    reader: &str,
    line: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|text| line(text).ok_or_else(|| format!("{reader} printed `{text}`")))
        .collect()
}

/// `SIZE CRC32 NAME`.
fn listed(line: &str) -> Option<Listed> {
    let mut parts = line.splitn(3, ' ');
    let size = parts.next()?.parse().ok()?;
    let crc32 = u32::from_str_radix(parts.next()?, 16).ok()?;
    let name = parts.next()?.to_owned();
    Some(Listed { name, size, crc32 })
}
