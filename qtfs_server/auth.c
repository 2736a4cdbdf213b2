// SPDX-License-Identifier: GPL-2.0
/* The shared pre-shared key code, compiled into this module. */
#include "../common/qtfs_auth.c"
