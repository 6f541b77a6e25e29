from sample_world.cli import main

main()
