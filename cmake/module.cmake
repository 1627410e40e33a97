# dm_module(NAME DIR DEPS...): a static library of every .cpp under DIR (an empty interface
# library while the folder has no sources), so each module owns its folder and its CMake stays
# one line.
function(dm_module name dir)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${dir}/*.cpp)
  if(sources)
    add_library(${name} STATIC ${sources})
    target_link_libraries(${name} PUBLIC ${ARGN})
  else()
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE ${ARGN})
  endif()
endfunction()
