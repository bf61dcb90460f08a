import StyxyCLI

Styxy.runMain()
