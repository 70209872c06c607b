/* reghive_sys.h, the implementation-details header, must compile alone
 * under -std=c11 -pedantic too. */
#include "reghive_sys.h"

int header_sys_ok(void);

int
header_sys_ok(void)
{
    return RH_EXPORT_HOLD != 0;
}
