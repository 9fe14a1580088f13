# SPDX-License-Identifier: LGPL-3.0-or-later
# Warnings for the project's own targets. Third-party headers (Ganesha,
# ntirpc) are included as SYSTEM so their warnings stay theirs.
function(localio_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wformat=2 -Wshadow
    $<$<COMPILE_LANGUAGE:C>:-Wmissing-prototypes -Wstrict-prototypes>)
  if(LOCALIO_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
