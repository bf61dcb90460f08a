import ArgumentParser
import StyxyCore
import StyxyEngine
import StyxyKit

extension Styxy {
    struct Hook: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hook",
            abstract: "The git post-checkout hook that gives every new worktree its ports.",
            discussion: """
                The hook runs `styxy resolve --quiet` after a branch checkout (`git worktree add`, `git \
                checkout`, `git clone`) whose tree has a styxy.yaml. It lives where git runs hooks for every \
                worktree (core.hooksPath or Husky's .husky/ when set), chains the hook that was there, and \
                never fails git. See docs/guides/worktrees.md.
                """,
            subcommands: [Install.self, Uninstall.self, Status.self]
        )
    }
}

/// `install` and `uninstall`: one change each, then the status it leaves.
protocol HookChangeCommand: StyxyCommand {
    var output: OutputOptions { get }
    static func change(_ app: StyxyApp) throws(StyxyError) -> (StyxyApp.HookChange, StyxyApp.HookStatus)
}

extension HookChangeCommand {
    func run(in context: CommandContext) throws {
        let (change, status) = try Self.change(context.app)
        Styxy.Hook.Status.print(status, change: change, json: output.json, context: context)
    }
}

extension Styxy.Hook {
    struct Install: HookChangeCommand {
        static let configuration = CommandConfiguration(
            commandName: "install",
            abstract: "Install the post-checkout hook for the repository of this folder, chaining any hook already there.")
        @OptionGroup var output: OutputOptions
        static func change(_ app: StyxyApp) throws(StyxyError) -> (StyxyApp.HookChange, StyxyApp.HookStatus) { try app.installHook() }
    }

    struct Uninstall: HookChangeCommand {
        static let configuration = CommandConfiguration(
            commandName: "uninstall",
            abstract: "Remove Styxy's post-checkout hook and put back, byte for byte, the hook it chained.")
        @OptionGroup var output: OutputOptions
        static func change(_ app: StyxyApp) throws(StyxyError) -> (StyxyApp.HookChange, StyxyApp.HookStatus) { try app.uninstallHook() }
    }

    struct Status: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Say whether the hook is installed, where, whether it chains another, and which leases belong to removed worktrees.")

        @OptionGroup var output: OutputOptions

        func run(in context: CommandContext) throws {
            Self.print(try context.app.hookStatus(), change: nil, json: output.json, context: context)
        }

        static let pruneCommand = "styxy lease prune"

        static func print(_ status: StyxyApp.HookStatus, change: StyxyApp.HookChange?, json: Bool, context: CommandContext) {
            let out = context.out
            if json {
                var pairs: [(String, JSONValue)] = []
                if let change { pairs.append(("change", .string(change.rawValue))) }
                pairs += [
                    ("installed", .bool(status.installed)),
                    ("path", .string(status.path)),
                    ("hooks_path", status.hooksPath.map(JSONValue.string) ?? .null),
                    ("husky", .bool(status.runner == .husky)),
                    ("chained", status.chained.map(JSONValue.string) ?? .null),
                    ("foreign_hook", .bool(status.foreignHook)),
                    ("gone_worktree_leases", .array(status.goneLeases.map(\.json))),
                ]
                out.write(ReportJSON.document(pairs).serialized())
                return
            }
            // Paths and config values come from the repository: escaped, so they cannot drive the terminal.
            let path = PrintableText.escaped(status.path)
            if let change { out.line("hook \(change.rawValue): \(path)") }
            let source = status.hooksPath.map { "core.hooksPath = \(PrintableText.escaped($0))" + (status.runner == .husky ? ", Husky" : "") }
                ?? "git's default hooks folder"
            let chained = status.chained.map(PrintableText.escaped)
            if status.installed {
                out.line("installed: \(path) (\(source))")
                out.line(chained.map { "chained: \($0) runs first" } ?? "chained: no other hook")
            } else {
                out.line("not installed: \(path) (\(source))")
                if status.foreignHook { out.line("a hook of your own is there; `styxy hook install` would chain it, not replace it") }
                if let chained { out.line("left over: \(chained) (a copy of an earlier hook; remove it if you no longer need it)") }
            }
            if let problem = status.ledgerProblem {
                context.err.line("note: leases not checked: \(problem)")
            } else if !status.goneLeases.isEmpty {
                let roots = Set(status.goneLeases.compactMap(\.key.root)).sorted()
                out.line("\(status.goneLeases.count) lease\(status.goneLeases.count == 1 ? "" : "s") belong to folders that no longer exist (removed worktrees?):")
                for root in roots { out.line("  \(PrintableText.escaped(root))") }
                out.line("release them with `\(pruneCommand)` (`--dry-run` to look first)")
            }
        }
    }
}
