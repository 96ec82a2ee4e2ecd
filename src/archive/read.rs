//! The reader's walks: over a stream (a tar, maybe compressed as a whole, its compressed
//! layers maybe read in parallel by workers), over a layout folder, and over the members
//! a [`MemberSource`] yields; each hands every member to [`read_member`] and merges what
//! the parser thread learned ([`finish`]).

use super::digest;
use super::layer::{self, CapturePolicy, Compression, LayerSink};
use super::pass_over::PassOver;
use super::pipeline;
use super::pipeline::parallel::{LayerBytes, Recording};
use super::sniff::{Sniffed, describe, looks_like_tar, peek, sniff, starts_like_tar_header};
use super::{
    Counting, Member, MemberContent, RawArchive, ReadOptions, Walk, normalize_member, read_member,
};
use crate::error::{Error, Location, Result};
use crate::source::MemberSource;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Reads an archive from any reader (a file, a pipe, bytes in memory), named `label` in
/// messages.
pub fn read_stream<R: Read>(
    label: &str,
    input: R,
    sink: &mut (dyn LayerSink + Send),
    opts: &ReadOptions,
) -> Result<RawArchive> {
    let (result, outcome) =
        pipeline::run(sink, opts, |feeder| walk_stream(label, input, feeder, opts));
    finish(label, result, outcome)
}

/// Whether the archive file at `path` is read with its layers read in parallel
/// ([`parallel`]), and by how many workers: not on one core, not when it holds fewer than
/// two layers or is compressed as a whole, and not for a sink whose
/// capture choices cannot be made off its own thread.
pub(super) fn plan_parallel(
    path: &Path,
    sink: &(dyn LayerSink + Send),
) -> Option<(Vec<pipeline::parallel::Planned>, usize)> {
    let cores = pipeline::cores();
    if cores < 2 {
        return None;
    }
    sink.capture_policy()?;
    let planned = pipeline::parallel::plan(path)?;
    let workers = pipeline::parallel::in_flight(cores, planned.len());
    Some((planned, workers))
}

/// [`read_stream`] of the archive file `file` at `path`, whose `planned` layers
/// `workers` workers read beside the main pass, each from its own offset.
pub(super) fn read_file_parallel(
    label: &str,
    path: &Path,
    file: std::fs::File,
    planned: Vec<pipeline::parallel::Planned>,
    workers: usize,
    sink: &mut (dyn LayerSink + Send),
    opts: &ReadOptions,
) -> Result<RawArchive> {
    let Some(policy) = sink.capture_policy() else {
        return read_stream(label, file, sink, opts);
    };
    let offsets: Vec<u64> = planned.iter().map(|p| p.offset).collect();
    // The workers read these members; the main pass only walks past them. Progress is
    // counted where bytes are read: by the workers, and for the rest by `PassOver`, not
    // by the main pass, which would show the whole archive read at once.
    let len = file.metadata().map_or(u64::MAX, |m| m.len());
    let skip = planned.iter().map(|p| (p.offset, p.size));
    let file = PassOver::new(file, len, skip, opts.progress.clone());
    let walk_opts = ReadOptions {
        progress: None,
        ..opts.clone()
    };
    let layers = planned
        .into_iter()
        .map(|planned| LayerBytes::File {
            path: path.to_path_buf(),
            planned,
        })
        .collect();
    read_with_workers(
        label,
        layers,
        workers,
        policy,
        sink,
        opts,
        |feeder, recordings| {
            feeder.defer(offsets.into_iter().zip(recordings).collect());
            walk_stream(label, file, feeder, &walk_opts)
        },
    )
}

/// Runs `walk`, the main pass, while `workers` workers read `layers` in order, each into
/// a recording (`walk` gets them in the same order) that the main pass hands to its
/// parser in its turn.
fn read_with_workers(
    label: &str,
    layers: Vec<LayerBytes>,
    workers: usize,
    policy: CapturePolicy,
    sink: &mut (dyn LayerSink + Send),
    opts: &ReadOptions,
    walk: impl FnOnce(&pipeline::Feeder, Vec<Recording>) -> Result<RawArchive, Walk>,
) -> Result<RawArchive> {
    let ahead = Arc::default();
    let (jobs, recordings) = pipeline::parallel::jobs(layers, workers, &ahead);
    let next = AtomicUsize::new(0);
    let read = std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let _cpu = crate::timings::ThreadCpu("layer worker");
                pipeline::parallel::work(label, &jobs, &next, opts, policy);
            });
        }
        let (result, outcome) = pipeline::run(sink, opts, |feeder| walk(feeder, recordings));
        // A worker ahead may be waiting for the replay, which is over.
        ahead.close();
        // After a failure, the workers take no new layer (the recordings' receivers
        // are gone, so the current ones stop at their next batch).
        next.store(jobs.len(), Ordering::Relaxed);
        finish(label, result, outcome)
    });
    give_back_freed_pages();
    read
}

/// Returns to the system the free pages inside the heap: those of the recordings, now
/// replayed. The index grew beside them in the same heap, so glibc cannot shrink it from
/// its top, and the analysis reused little of the freed memory: on the ML archive (two
/// workers, 8 MiB of recordings ahead) RSS stayed 10 MB above a sequential read's when
/// the read ended and the peak of the whole run rose from 49 MB to 55 MB. `malloc_trim`
/// gives those pages back (madvise), and takes under a millisecond.
fn give_back_freed_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own free lists; no pointer of ours is
    // involved.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Merges what the parser thread learned into the reader's archive, and picks the error
/// to report: the parser's when it stopped the reader, else the reader's own.
fn finish(
    label: &str,
    result: Result<RawArchive, Walk>,
    outcome: pipeline::Outcome,
) -> Result<RawArchive> {
    let parser_error = outcome.error.map(|(member, problem)| {
        Error::at(
            Location {
                file: label.to_string(),
                member: Some(member),
                layer: None,
            },
            problem,
        )
    });
    let mut raw = match (result, parser_error) {
        (Ok(raw), None) => raw,
        (Err(Walk::Stopped), Some(e)) | (Ok(_), Some(e)) => return Err(e),
        (Err(Walk::Failed(e)), _) => return Err(e),
        (Err(Walk::Stopped), None) => {
            return Err(Error::input(
                label,
                "internal error: reading stopped without a reason",
            ));
        }
    };
    for (name, content) in outcome.results {
        if let Some(member) = raw.members.get_mut(&name) {
            member.content = content;
        }
    }
    for (name, sha256) in outcome.stored {
        if let Some(member) = raw.members.get_mut(&name) {
            member.sha256 = Some(sha256);
        }
    }
    Ok(raw)
}

fn walk_stream<R: Read>(
    label: &str,
    input: R,
    feeder: &pipeline::Feeder,
    opts: &ReadOptions,
) -> Result<RawArchive, Walk> {
    let mut raw = RawArchive {
        label: label.to_string(),
        ..RawArchive::default()
    };
    let total = Arc::new(AtomicU64::new(0));
    let counting = Counting {
        inner: input,
        progress: opts.progress.clone(),
        total: Arc::clone(&total),
    };
    let buffered = BufReader::with_capacity(64 * 1024, counting);
    let io_err = |e: io::Error| Error::input(label, layer::describe_io(&e, "archive"));
    let (head, stream) = peek(buffered, 512).map_err(io_err)?;
    let decoded: Box<dyn Read> = match sniff(&head) {
        Sniffed::Empty => {
            return Err(Error::input(label, "empty file: not an image archive").into());
        }
        Sniffed::Gzip => {
            raw.outer_compression = Some(Compression::Gzip);
            Box::new(flate2::read::MultiGzDecoder::new(stream))
        }
        Sniffed::Zstd => {
            raw.outer_compression = Some(Compression::Zstd);
            Box::new(zstd::stream::read::Decoder::new(stream).map_err(io_err)?)
        }
        _ => Box::new(stream),
    };
    let what = if raw.outer_compression.is_some() {
        "compressed archive"
    } else {
        "archive"
    };
    let (head, stream) =
        peek(decoded, 512).map_err(|e| Error::input(label, layer::describe_io(&e, what)))?;
    check_tar_start(label, &head)?;
    let mut archive = tar::Archive::new(stream);
    let entries = archive
        .entries()
        .map_err(|e| Error::input(label, layer::describe_io(&e, "archive")))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| Error::input(label, layer::describe_io(&e, "archive")))?;
        let name_bytes = entry.path_bytes().into_owned();
        let display = String::from_utf8_lossy(&name_bytes).into_owned();
        let Some(name) = normalize_member(&display) else {
            raw.warnings.push(format!(
                "member {display} climbs above the archive root; skipped"
            ));
            continue;
        };
        let kind = entry.header().entry_type();
        match kind {
            tar::EntryType::Directory => continue,
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => continue,
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                let member = link_member(&name, &target, kind == tar::EntryType::Symlink);
                insert_member(&mut raw, name, member);
            }
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                let size = entry.size();
                if let Some(p) = &opts.progress {
                    p.set_member(&name);
                }
                if let Some(recording) = feeder.take_deferred(entry.raw_file_position()) {
                    if let Some(p) = &opts.progress {
                        p.layer_begun();
                    }
                    let member = pass_deferred(&raw, &name, size, &mut entry, recording, feeder)?;
                    insert_member(&mut raw, name, member);
                    continue;
                }
                let member = read_member(&raw, &name, size, &mut entry, feeder, opts)?;
                insert_member(&mut raw, name, member);
            }
            other => raw.warnings.push(format!(
                "member {name} has tar type {:?}; skipped",
                char::from(other.as_byte())
            )),
        }
    }
    // Drain what follows the end-of-archive marker so the byte count is the input's.
    let mut rest = archive.into_inner();
    digest::drain(&mut rest).map_err(|e| Error::input(label, layer::describe_io(&e, what)))?;
    raw.input_bytes = total.load(Ordering::Relaxed);
    Ok(raw)
}

/// The outer archive's first 512 bytes (`head`, fewer at EOF) must start a tar: else a
/// truncated header, or what the bytes are in words.
fn check_tar_start(label: &str, head: &[u8]) -> Result<()> {
    if head.len() < 512 && starts_like_tar_header(head) {
        return Err(Error::input(
            label,
            format!(
                "truncated archive: the input ends after {} bytes, inside the first tar header",
                head.len()
            ),
        ));
    }
    if !looks_like_tar(head) || head.len() < 512 {
        let hint = match sniff(head) {
            Sniffed::Json => {
                " (a JSON file: `inspect` reads saved images; `diff` also takes JSON reports)"
            }
            _ => "",
        };
        return Err(Error::input(
            label,
            format!("not a tar archive: {}{hint}", describe(head)),
        ));
    }
    Ok(())
}

/// The member a tar link entry `name` -> `target` records: a link to the member it names
/// (a symlink relative to its own folder, a hard link by member name), or, when it points
/// outside the archive, a member that says so.
fn link_member(name: &str, target: &str, symlink: bool) -> Member {
    let joined = if symlink && !target.starts_with('/') {
        match name.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{target}"),
            None => target.to_string(),
        }
    } else {
        target.to_string()
    };
    let resolved = if target.starts_with('/') {
        None
    } else {
        normalize_member(&joined)
    };
    let content = match resolved {
        Some(t) => MemberContent::Link(t),
        None => MemberContent::Other {
            looks_like: format!("a link to {target}, which points outside the archive"),
        },
    };
    Member {
        size: 0,
        sha256: None,
        content,
    }
}

fn insert_member(raw: &mut RawArchive, name: String, member: Member) {
    if raw.members.contains_key(&name) {
        raw.warnings.push(format!(
            "member {name} appears more than once in the archive; the last copy is used"
        ));
    }
    raw.members.insert(name, member);
}

/// Passes over a member that a worker reads ([`parallel`]), and hands its recording to the
/// parser in its turn.
fn pass_deferred<R: Read>(
    raw: &RawArchive,
    name: &str,
    size: u64,
    reader: R,
    recording: Recording,
    feeder: &pipeline::Feeder,
) -> Result<Member, Walk> {
    let fail = |problem: String| Walk::Failed(raw.error(name, problem));
    let mut reader = reader;
    let read = digest::drain(&mut reader).map_err(|e| fail(layer::describe_io(&e, "member")))?;
    if read != size {
        return Err(fail(format!(
            "truncated archive: the member holds {read} of its {size} bytes"
        )));
    }
    feeder
        .deferred(name, recording)
        .map_err(|_| Walk::Stopped)?;
    Ok(Member {
        size,
        sha256: None,
        content: MemberContent::Other {
            looks_like: "a layer".to_string(),
        },
    })
}

/// Reads a layout folder (OCI image layout, skopeo `dir:`, an extracted `docker save`):
/// every file below it, as members named by their relative paths. Symlinks are recorded as
/// links between members and never followed on the host.
pub(super) fn read_folder(
    label: &str,
    root: &Path,
    sink: &mut (dyn LayerSink + Send),
    opts: &ReadOptions,
) -> Result<RawArchive> {
    let (result, outcome) =
        pipeline::run(sink, opts, |feeder| walk_folder(label, root, feeder, opts));
    finish(label, result, outcome)
}

fn walk_folder(
    label: &str,
    root: &Path,
    feeder: &pipeline::Feeder,
    opts: &ReadOptions,
) -> Result<RawArchive, Walk> {
    let mut raw = RawArchive {
        label: label.to_string(),
        ..RawArchive::default()
    };
    // Read nothing of a folder that is not a layout: it may be anyone's home directory.
    let markers = ["index.json", "oci-layout", "manifest.json", "repositories"];
    if !markers.iter().any(|m| root.join(m).is_file()) {
        return Err(Error::input(
            label,
            "a folder that is not an image layout (no index.json, oci-layout, manifest.json or repositories)",
        )
        .into());
    }
    let mut stack: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
    let io_error = |path: &Path, e: io::Error| Error::Io {
        path: path.display().to_string(),
        source: e,
    };
    while let Some((dir, prefix, depth)) = stack.pop() {
        if depth > 16 {
            raw.warnings
                .push(format!("{prefix}: folders nested too deep; not read"));
            continue;
        }
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| io_error(&dir, e))?
            .filter_map(|e| e.ok())
            .collect();
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let name = if prefix.is_empty() {
                file_name.clone()
            } else {
                format!("{prefix}/{file_name}")
            };
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).map_err(|e| io_error(&path, e))?;
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).map_err(|e| io_error(&path, e))?;
                let target = target.to_string_lossy().into_owned();
                let joined = match name.rsplit_once('/') {
                    Some((d, _)) => format!("{d}/{target}"),
                    None => target.clone(),
                };
                let content = match normalize_member(&joined).filter(|_| !target.starts_with('/')) {
                    Some(t) => MemberContent::Link(t),
                    None => MemberContent::Other {
                        looks_like: format!("a link to {target}, which points outside the folder"),
                    },
                };
                insert_member(
                    &mut raw,
                    name,
                    Member {
                        size: 0,
                        sha256: None,
                        content,
                    },
                );
            } else if meta.is_dir() {
                stack.push((path, name, depth + 1));
            } else if meta.is_file() {
                if let Some(p) = &opts.progress {
                    p.set_member(&name);
                }
                let file = std::fs::File::open(&path).map_err(|e| io_error(&path, e))?;
                let counting = Counting {
                    inner: file,
                    progress: opts.progress.clone(),
                    total: Arc::new(AtomicU64::new(0)),
                };
                let member = read_member(&raw, &name, meta.len(), counting, feeder, opts)?;
                raw.input_bytes += member.size;
                insert_member(&mut raw, name, member);
            }
        }
    }
    if raw.members.is_empty() {
        return Err(Error::input(label, "an empty folder, not an image layout").into());
    }
    Ok(raw)
}

/// Reads a layout's members as a [`MemberSource`] yields them (a registry's blobs), each
/// as [`read_folder`] reads a layout file; on two cores or more, the layer blobs are
/// downloaded and decoded by workers, as many at once as the source allows
/// ([`MemberSource::take_blobs`]), and replayed in order.
pub(super) fn read_members(
    label: &str,
    mut members: Box<dyn MemberSource>,
    sink: &mut (dyn LayerSink + Send),
    opts: &ReadOptions,
) -> Result<RawArchive> {
    let cores = pipeline::cores();
    let policy = sink.capture_policy().filter(|_| cores >= 2);
    if let Some(policy) = policy
        && let Some(taken) = members.take_blobs()
    {
        // A worker per core, as for a file, and no more than `--jobs`: a third zstd
        // worker on two cores held a third window (svc-bloated: 110 MB peak against
        // 84 MB for the file) and read no faster (0.88 s against 0.71 s one blob at a
        // time, load 5).
        let workers = pipeline::parallel::in_flight(cores.min(taken.jobs), taken.blobs.len());
        let named: Vec<(String, u64)> = taken
            .blobs
            .iter()
            .map(|b| (b.name.clone(), b.size))
            .collect();
        let layers = taken
            .blobs
            .into_iter()
            .map(|b| LayerBytes::stream(b.size, b.stream))
            .collect();
        return read_with_workers(label, layers, workers, policy, sink, opts, |feeder, rx| {
            let deferred = named
                .into_iter()
                .zip(rx)
                .map(|((name, size), rx)| (name, size, rx))
                .collect();
            walk_members(label, members.as_mut(), deferred, feeder, opts)
        });
    }
    let (result, outcome) = pipeline::run(sink, opts, |feeder| {
        walk_members(label, members.as_mut(), Vec::new(), feeder, opts)
    });
    finish(label, result, outcome)
}

/// The members `members` yields, then the `deferred` ones, which workers read: each
/// recording is handed to the parser in its turn.
fn walk_members(
    label: &str,
    members: &mut dyn MemberSource,
    deferred: Vec<(String, u64, Recording)>,
    feeder: &pipeline::Feeder,
    opts: &ReadOptions,
) -> Result<RawArchive, Walk> {
    let mut raw = RawArchive {
        label: label.to_string(),
        ..RawArchive::default()
    };
    let normalized = |given: &str| {
        normalize_member(given).ok_or_else(|| {
            Walk::from(Error::input(
                label,
                format!("member {given:?}: not a relative path"),
            ))
        })
    };
    loop {
        let Some(crate::source::SourceMember {
            name: given,
            size,
            reader,
        }) = members.next_member()?
        else {
            break;
        };
        let name = normalized(&given)?;
        if let Some(p) = &opts.progress {
            p.set_member(&name);
        }
        let counting = Counting {
            inner: reader,
            progress: opts.progress.clone(),
            total: Arc::new(AtomicU64::new(0)),
        };
        let member = match read_member(&raw, &name, size, counting, feeder, opts) {
            Ok(member) => member,
            Err(e) => {
                // A blob that failed its digest explains what the decoder said of it.
                return Err(match members.failure() {
                    Some(problem) => Walk::Failed(Error::at(
                        Location {
                            file: label.to_string(),
                            member: Some(name),
                            layer: None,
                        },
                        problem,
                    )),
                    None => e,
                });
            }
        };
        raw.input_bytes += member.size;
        insert_member(&mut raw, name, member);
    }
    for (given, size, recording) in deferred {
        let name = normalized(&given)?;
        if let Some(p) = &opts.progress {
            p.layer_begun();
        }
        feeder
            .deferred(&name, recording)
            .map_err(|_| Walk::Stopped)?;
        // A worker checks the size as the blob streams: a short one is an error.
        raw.input_bytes += size;
        let member = Member {
            size,
            sha256: None,
            content: MemberContent::Other {
                looks_like: "a layer".to_string(),
            },
        };
        insert_member(&mut raw, name, member);
    }
    if raw.members.is_empty() {
        return Err(Error::input(label, "no members: not an image").into());
    }
    Ok(raw)
}

/// How many members of the archive file at `path` are layer blobs (tars, plain or
/// compressed), from its tar headers and each member's first bytes, for a progress
/// display's "layer N/M". Seeks past member bodies, so it costs a read per member, not a
/// pass over the file. `None` for anything but a regular file holding a plain tar (a pipe
/// must not be read twice; a compressed archive would need decompressing).
pub(super) fn count_layers(path: &Path) -> Option<u64> {
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let mut head = vec![0u8; 512];
    pipeline::parallel::read_at(&file, &mut head, 0).ok()?;
    if !looks_like_tar(&head) {
        return None;
    }
    let mut archive = tar::Archive::new(&file);
    let mut layers = 0;
    for entry in archive.entries_with_seek().ok()? {
        let entry = entry.ok()?;
        if !matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse
        ) {
            continue;
        }
        let n = usize::try_from(entry.size().min(512)).unwrap_or(512);
        let head = head.get_mut(..n)?;
        if pipeline::parallel::read_at(&file, head, entry.raw_file_position()).is_err() {
            continue;
        }
        if matches!(sniff(head), Sniffed::Gzip | Sniffed::Zstd | Sniffed::Tar) {
            layers += 1;
        }
    }
    Some(layers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_layer_members_of_a_file() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        // 7 layer tars (`tar tvf`: the .tar members), 7 symlinks to them (not counted),
        // a config and v1 json files.
        let sample = root.join("testdata/sample/sample.docker.tar");
        assert_eq!(count_layers(&sample), Some(7));
        // Not a tar, or not a file: unknown.
        assert_eq!(count_layers(&root.join("Cargo.toml")), None);
        assert_eq!(count_layers(&root.join("src")), None);
    }
}
