/* Placeholder so the tree links while the DHCP client is written (replaced by src/net/dhcp.c
 * of the UDP/DHCP work): reports that DHCP is unavailable. */
#include "unic/dhcp.h"

#include <errno.h>

int dhcp_start(struct inet *inet)
{
    (void)inet;
    return -ENOSYS;
}
