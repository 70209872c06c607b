/* The public header must compile alone under -std=c11 -pedantic. */
#include "reghive.h"

int header_ok(void);

int
header_ok(void)
{
    return RH_OK;
}
