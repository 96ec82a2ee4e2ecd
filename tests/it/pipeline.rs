//! The library's pipeline is the command line's: the same document from
//! `pipeline::inspect` as from `deadweight inspect`, from a stream, a folder-less member
//! source (as a registry hands blobs) and bytes in memory alike; saved reports read back
//! through the same entry.

use crate::common::{bin, testdata};
use deadweight::pipeline::{self, Loaded, Options};
use deadweight::source::{MemberSource, Opened, Source, SourceMember};
use std::io::Read;
use synth::{Flavour, Image, Layer};

fn sample() -> std::path::PathBuf {
    testdata("sample/sample.docker.tar")
}

fn json(report: &deadweight::model::InspectReport) -> Vec<u8> {
    let mut out = Vec::new();
    deadweight::report::write_json(report, &mut out).expect("json");
    out
}

#[test]
fn the_library_writes_the_document_the_binary_prints() {
    let path = sample();
    let seen = deadweight::inspect(&Source::Path(path.clone()), &Options::default())
        .expect("inspect the sample");
    let out = bin()
        .current_dir(path.parent().expect("folder"))
        .args(["inspect", "-q", "--format", "json"])
        .arg(&path)
        .output()
        .expect("run");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&json(&seen.report)),
        String::from_utf8_lossy(&out.stdout)
    );
    // The index, analysis and findings come with it.
    assert_eq!(seen.index.layers.len(), seen.report.layers.len());
    assert_eq!(
        seen.analysis.totals.content_bytes,
        seen.report.totals.content_bytes
    );
    assert_eq!(seen.findings.findings.len(), seen.report.findings.len());
}

#[test]
fn bytes_in_memory_read_as_the_file_does() {
    let path = sample();
    let bytes = std::fs::read(&path).expect("sample");
    let label = path.display().to_string();
    let from_file = deadweight::inspect(&Source::Path(path), &Options::default()).expect("file");
    let from_memory =
        deadweight::inspect(&Source::memory(&label, bytes), &Options::default()).expect("memory");
    assert_eq!(json(&from_file.report), json(&from_memory.report));
}

/// An OCI archive's members handed over one by one, as a registry source hands blobs.
struct Members {
    members: Vec<(String, Vec<u8>)>,
    next: usize,
}

impl MemberSource for Members {
    fn next_member(&mut self) -> deadweight::Result<Option<SourceMember<'_>>> {
        let Some((name, bytes)) = self.members.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        Ok(Some(SourceMember {
            name: name.clone(),
            size: bytes.len() as u64,
            reader: Box::new(&bytes[..]),
        }))
    }
}

fn members_of(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut tar = tar::Archive::new(archive);
    let mut out = Vec::new();
    for entry in tar.entries().expect("tar") {
        let mut entry = entry.expect("entry");
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().expect("path").display().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read");
        out.push((name, bytes));
    }
    out
}

#[test]
fn a_member_source_reads_as_the_archive_it_came_from() {
    let image = Image::new(vec![
        Layer::new().file("app/model.bin", vec![7u8; 5000]),
        Layer::new()
            .file("app/model.bin", vec![8u8; 3000])
            .file("app/.git/HEAD", b"ref: refs/heads/main\n".to_vec()),
    ])
    .tag("members:1");
    let archive =
        synth::write_archive(&[image], &synth::Options::new(Flavour::OciArchive)).expect("archive");
    let members = members_of(&archive);
    assert!(members.iter().any(|(n, _)| n == "index.json"));
    let from_archive = deadweight::inspect(&Source::memory("img", archive), &Options::default())
        .expect("archive")
        .report;
    let mut from_members = pipeline::inspect_opened(
        "img",
        Opened::Members(Box::new(Members { members, next: 0 })),
        &Options::default(),
    )
    .expect("members")
    .report;
    // Only the bytes read differ: the tar's headers and padding are not members.
    assert!(from_members.source.input_bytes < from_archive.source.input_bytes);
    from_members.source.input_bytes = from_archive.source.input_bytes;
    assert_eq!(json(&from_archive), json(&from_members));
}

#[test]
fn a_saved_report_loads_back_as_the_image_it_was_written_from() {
    let path = sample();
    let opts = Options {
        limits: deadweight::analyze::summary::Limits {
            all_files: true,
            ..Default::default()
        },
        ..Options::default()
    };
    let Loaded::Image(seen) = pipeline::load(&Source::Path(path.clone()), &opts).expect("image")
    else {
        panic!("the sample is an image, not a report");
    };
    let saved = json(&seen.report);
    let loaded = pipeline::load(&Source::memory("saved.json", saved.clone()), &opts).expect("json");
    let Loaded::Report(back) = loaded else {
        panic!("a JSON report is read as one");
    };
    assert_eq!(json(&back), saved);
    // Its layers are the base the image's own are told from.
    let from_report =
        pipeline::base_diff_ids(&Source::memory("saved.json", saved), &opts).expect("report");
    let from_image = pipeline::base_diff_ids(&Source::Path(path), &opts).expect("image");
    assert_eq!(from_report, from_image);
    assert_eq!(from_image.len(), seen.report.layers.len());
}

#[test]
fn a_report_of_another_schema_is_refused_by_name() {
    let e = pipeline::load(
        &Source::memory("old.json", &br#"{"schema_version": 99}"#[..]),
        &Options::default(),
    )
    .expect_err("schema 99");
    assert_eq!(
        e.to_string(),
        "old.json: a report of schema_version 99; this deadweight reads 1: write it again with \
         this version's `inspect --format json --all-files`"
    );
}
