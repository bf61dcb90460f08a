import ArgumentParser

public struct Styxy: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "styxy",
        abstract: "Stable, collision-free ports for every project on this machine."
    )
    public init() {}
}
