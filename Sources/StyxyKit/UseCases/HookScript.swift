/// The `post-checkout` hook `styxy hook install` writes. It is fixed text (nothing from the
/// repository is pasted into it), recognised by its marker line, and written for `sh -e` too,
/// since Husky runs its hooks that way.
package enum HookScript {
    package static let hookName = "post-checkout"
    /// Where the hook that was there before lives while Styxy's runs in its place.
    package static let chainedName = "post-checkout.styxy-chained"
    /// The line that makes a hook Styxy's own.
    package static let marker = "# styxy-managed post-checkout hook"

    /// How the hook starts the hook it chains: git runs only executable hooks, Husky's runner
    /// hands every hook file to `sh -e` whatever its mode.
    package enum Runner: Sendable {
        case git
        case husky
    }

    package static func text(runner: Runner) -> String {
        let chained: String
        switch runner {
        case .git:
            chained = """
                if [ -x "$chained" ]; then
                    "$chained" "$@" || status=$?
                fi
                """
        case .husky:
            chained = """
                if [ -f "$chained" ]; then
                    sh -e "$chained" "$@" || status=$?
                fi
                """
        }
        return """
            #!/bin/sh
            \(marker): `styxy hook install` wrote it, `styxy hook uninstall`
            # removes it and puts back the hook it chains. It runs that hook first, then gives a branch
            # checkout that has a styxy.yaml its own ports (`styxy resolve --quiet`). It never fails or
            # blocks git: a Styxy problem is one line on stderr, and the exit status is the chained hook's.
            set +e
            status=0
            chained="$(dirname "$0")/\(chainedName)"
            \(chained)
            if [ "$3" = 1 ] && [ -f styxy.yaml ]; then
                if command -v styxy >/dev/null 2>&1; then
                    problem=$(styxy resolve --quiet 2>&1 </dev/null >/dev/null)
                    result=$?
                    if [ "$result" -ne 0 ] || [ -n "$problem" ]; then
                        first=$(printf '%s\\n' "$problem" | sed -n '/./{p;q;}')
                        [ "$result" -ne 0 ] && first="${first:-resolve failed} (exit $result)"
                        printf 'styxy hook: %s; run `styxy resolve` in %s for details\\n' "$first" "$(pwd)" >&2
                    fi
                else
                    echo 'styxy hook: styxy is not on PATH, so this checkout got no ports (install it, or run `styxy hook uninstall`)' >&2
                fi
            fi
            exit "$status"

            """
    }
}
