from riskscore.cli.app import main

main()
