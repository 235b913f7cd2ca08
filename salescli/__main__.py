from salescli.entry import main

main()
