#!/usr/bin/env python3
"""Checks that the bootstrap in a Lambda zip was built with panic = "unwind", as the README says.

    python3 scripts/unwinds.py target/lambda/macie-invite/bootstrap.zip

A binary built with panic = "abort" links Rust's panic_abort runtime, whose source path stays in the
binary's panic locations even when it is stripped; one built with panic = "unwind" carries the
unwinder's own messages instead (such as "Rust panics must be rethrown"). Seen on this toolchain by
building one small program both ways with `cargo lambda build --release --arm64`.
"""

import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as archive:
    binary = archive.read("bootstrap")
aborts = b"library/panic_abort/" in binary
unwinds = b"Rust panics must be rethrown" in binary
if aborts or not unwinds:
    sys.exit(f"{sys.argv[1]}: the bootstrap aborts on panic (panic_abort linked: {aborts}; unwinder present: {unwinds}): "
             "set panic = \"unwind\" in Cargo.toml's [profile.release]")
print(f"{sys.argv[1]}: the bootstrap unwinds on panic")
