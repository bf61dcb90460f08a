import StyxyCLI

Styxy.main()
