from riskscore.cli import main

main()
