//! Writes the seed corpora: `seed <fuzz dir>` fills `<dir>/corpus/archive` with synthetic
//! archives of every layout and compression, and `<dir>/corpus/layer` with layer tars
//! (whiteouts, opaque markers, hard links, long names, odd paths). `fuzz/seed.sh` adds the
//! small shared fixtures. Nothing here is committed: the corpus is generated at run time.

use synth::{Compression, Flavour, History, Image, Layer, Options, write_archive};
use std::path::PathBuf;

fn layers() -> Vec<(&'static str, Layer)> {
    let long = "d/".repeat(60) + "file";
    vec![
        ("empty", Layer::new()),
        (
            "base",
            Layer::new()
                .dir("etc/")
                .file("etc/hostname", "box\n")
                .file("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
                .symlink("etc/localtime", "/usr/share/zoneinfo/UTC")
                .hardlink("etc/hosts", "etc/hostname")
                .fifo("run/pipe"),
        ),
        (
            "whiteouts",
            Layer::new()
                .whiteout("etc/hostname")
                .opaque("etc")
                .opaque("")
                .whiteout("never/existed"),
        ),
        (
            "odd-names",
            Layer::new()
                .file("./dot/prefix", "a")
                .file("/abs/path", "b")
                .file("a/../../escape", "c")
                .file(&long, "d")
                .symlink("self", "self")
                .hardlink("later", "not-yet")
                .file("not-yet", "e"),
        ),
    ]
}

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz".into()));
    let archive_dir = dir.join("corpus/archive");
    let layer_dir = dir.join("corpus/layer");
    std::fs::create_dir_all(&archive_dir)?;
    std::fs::create_dir_all(&layer_dir)?;
    let all = layers();
    for (name, layer) in &all {
        std::fs::write(layer_dir.join(format!("synth-{name}.tar")), layer.to_tar())?;
    }
    let image = Image::new(all.iter().map(|(_, l)| l.clone()).collect())
        .tag("seed:latest")
        .history(vec![
            History::layer("ADD base"),
            History::empty("ENV A=1"),
            History::layer("RUN rm"),
            History::layer("ADD odd"),
            History::layer("ADD more"),
        ]);
    let flavours = [
        ("legacy", Flavour::DockerLegacy),
        ("symlinked", Flavour::DockerSymlinked),
        ("docker25", Flavour::Docker25),
        ("oci", Flavour::OciArchive),
        ("skopeo", Flavour::SkopeoDir),
    ];
    let comps = [
        ("none", Compression::None),
        ("gzip", Compression::Gzip),
        ("zstd", Compression::Zstd),
    ];
    for (fname, flavour) in flavours {
        for (cname, comp) in comps {
            let opts = Options::new(flavour)
                .layer_compression(comp)
                .manifest_last(cname == "gzip");
            let bytes = write_archive(std::slice::from_ref(&image), &opts)?;
            std::fs::write(archive_dir.join(format!("synth-{fname}-{cname}.tar")), bytes)?;
        }
    }
    let gz = write_archive(
        std::slice::from_ref(&image),
        &Options::new(Flavour::OciArchive).outer_compression(Compression::Gzip),
    )?;
    std::fs::write(archive_dir.join("synth-oci-outer-gzip.tar.gz"), gz)?;
    Ok(())
}
