from alerthub.cli.main import main

main()
