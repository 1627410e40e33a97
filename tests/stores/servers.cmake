# The object servers of the stores suite, as ctest fixtures: Ceph RGW (S3, 127.0.0.1:7480) and
# the Firebase Storage emulator (GCS JSON API, 127.0.0.1:9199), installed if missing, started
# before the first test that requires `object_servers` and stopped after the last.
# Included from tests/CMakeLists.txt before dm_test_area(test_stores ...).
set(DM_SERVERS_DIR ${CMAKE_SOURCE_DIR}/scripts/servers)

add_test(NAME stores_start_rgw COMMAND bash ${DM_SERVERS_DIR}/rgw.sh start)
add_test(NAME stores_start_gcs_emulator COMMAND bash ${DM_SERVERS_DIR}/gcs-emulator.sh start)
set_tests_properties(stores_start_rgw stores_start_gcs_emulator PROPERTIES
  FIXTURES_SETUP object_servers LABELS stores TIMEOUT 900)

add_test(NAME stores_stop_rgw COMMAND bash ${DM_SERVERS_DIR}/rgw.sh stop)
add_test(NAME stores_stop_gcs_emulator COMMAND bash ${DM_SERVERS_DIR}/gcs-emulator.sh stop)
set_tests_properties(stores_stop_rgw stores_stop_gcs_emulator PROPERTIES
  FIXTURES_CLEANUP object_servers LABELS stores TIMEOUT 120)

# Extra properties for every discovered test of the stores area (read by dm_test_area).
set(DM_TEST_PROPERTIES_stores FIXTURES_REQUIRED object_servers)
