from tempoctl.cli import main

main()
