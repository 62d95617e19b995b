// The sha256 of Trivy release archives, written into the action, by archive file name. An archive
// pinned here must match its pin whatever the release's checksums file says: that file comes from
// the same place as the archive, so whoever can replace one can replace the other (what a
// publisher's account serves can change under a name already trusted: aquasecurity/trivy-action
// had 76 tags force-pushed to malicious commits on 2026-03-19). A pin changes only with the
// action itself, which a workflow can pin by commit.
//
// Pinned: DEFAULT_TRIVY_VERSION (src/scan/inputs.ts) on every platform the action downloads for; a
// unit test fails when the default moves without its pins. The values are the lines of
// trivy_0.74.0_checksums.txt as published with the v0.74.0 release on GitHub, as copied into
// public pins of unrelated projects (install scripts, Makefiles, Dockerfiles, Go and Bazel tool
// tables), each value found in at least six of them. They were not computed here: this project's
// machines cannot download the archives.
export type ArchivePins = Readonly<Record<string, string>>

export const TRIVY_ARCHIVE_SHA256: ArchivePins = {
  'trivy_0.74.0_Linux-64bit.tar.gz': '2ae6fe3ee734b7fdf11335663e18c75ea12dccc76062f09f164a3b0f8be4371a',
  'trivy_0.74.0_Linux-ARM64.tar.gz': 'b94ce1976bbf3c15b514b605ee88be7c6d94a29be2302847ff01cb794d47aad5',
  'trivy_0.74.0_macOS-64bit.tar.gz': '472816f6888dda689d075c30254d4210b4d1035acf365aa72332f584c2f60485',
  'trivy_0.74.0_macOS-ARM64.tar.gz': '1caada5e0e2091909357c7525d3aa76f4b660b13821bc143b190c7483e31cc11'
}
