from local.controlplane.server import main

main()
