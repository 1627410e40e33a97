#!/bin/sh
# wrap_application.sh's name for `datamon wrap`, which takes its flags unchanged
# (-s -c COORD -b fuse|postgres -d "db1 db2" -- APP ARGS...): for pod specs that call the script.
exec datamon wrap "$@"
