#include <stdio.h>
#include "synack/synack.h"
int main(void) { printf("synack %s\n", sn_version()); return 0; }
