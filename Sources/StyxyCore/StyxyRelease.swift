/// Which release of Styxy this is.
///
/// Written here once, where every module can read it: `styxy --version`, the `styxy_version` of
/// `--json` documents, the schema's address in the modeline `styxy init` writes, and the
/// Makefile's archive name (it reads this line). CHANGELOG.md's newest release names it too; a
/// test holds them equal.
public enum StyxyRelease {
    public static let version = "0.1.0"
}
