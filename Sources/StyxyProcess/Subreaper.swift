internal import CStyxyProcess

/// The child-subreaper bit (Linux 3.4+): while it is on, a descendant whose parent ends is
/// re-parented to this process instead of to init, so it stays in this process's tree.
enum Subreaper {
    /// Sets the bit and returns its previous value.
    static func set(_ on: Bool) throws(SupervisorError) -> Bool {
        var wasOn: Int32 = 0
        let code = styxy_set_child_subreaper(on ? 1 : 0, &wasOn)
        if code != 0 { throw .system(operation: "make this process the child subreaper", code: code) }
        return wasOn != 0
    }
}
