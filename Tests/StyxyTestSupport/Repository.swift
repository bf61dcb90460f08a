import Foundation
import StyxyCore

/// The source tree, found from this file, so tests run from any folder and can check files the
/// repository holds (fixtures, templates, documentation).
public enum Repository {
    /// <root>/Tests/StyxyTestSupport/Repository.swift, three levels down.
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The absolute path of a file of the repository.
    public static func path(_ relative: String) -> String { root + "/" + relative }

    /// The names in `folder` ending in `suffix`, sorted; empty when the folder is missing (the
    /// tests that use this also check the count, so a missing folder fails rather than passes).
    public static func files(in folder: String, endingWith suffix: String) -> [String] {
        FileIO.list(folder).filter { $0.hasSuffix(suffix) }.sorted()
    }

    public static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
