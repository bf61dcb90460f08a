internal import CStyxyBuildInfo
import StyxyCore

/// The release this binary is (`StyxyRelease.version`), and the commit it was built from.
public enum StyxyVersion {
    /// The commit as `make` stamped it (`3c598cf1a2b3`, `-modified` when the tree had changes);
    /// nil for a plain `swift build`, which has no way to learn it.
    public static var commit: String? {
        let stamped = String(cString: styxy_build_commit())
        return stamped.isEmpty ? nil : stamped
    }

    /// What `styxy --version` prints: `styxy 0.1.0 (commit 3c598cf1a2b3)`.
    public static var text: String {
        "styxy \(StyxyRelease.version) (\(commit.map { "commit \($0)" } ?? "unknown commit"))"
    }
}
