/*
 * The power button: how a host asks a unic VM to shut down cleanly (QMP system_powerdown,
 * which scripts/qemu-run --powerdown sends). plat_wait then reports PLAT_WAIT_SHUTDOWN and the
 * loop ends as on SIGTERM in the hosted platform: service_stop, statistics, exit status.
 *
 * - microvm (ACPI on, its default): the ACPI Generic Event Device at 0xfea00000 pulses GSI 9
 *   and its event register (read to clear) has bit 1 set for a power-down.
 * - q35: the ICH9 LPC bridge's ACPI block (PMBASE, set by the firmware): PM1 status bit 8
 *   (power button, write 1 to clear) raises the SCI, GSI 9, once PM1 enable bit 8 is set.
 * Both lines are routed edge-triggered like the NICs; the stub only marks VEC_POWER pending.
 *
 * power_off() is the other direction, for plat_exit without isa-debug-exit: ACPI S5 through the
 * GED sleep control register (microvm) or PM1 control (q35). The exit status is lost then.
 */
#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "kvm.h"
#include "virtio.h"

#define ACPI_SCI_GSI 9
#define GED_BASE 0xfea00000u
#define GED_EVT_PWR_DOWN 0x2u
#define ICH9_LPC_ID 0x29188086u /* device 0x2918, vendor 0x8086, at 00:1f.0 */
#define ICH9_PMBASE 0x40
#define PM1_STS 0x00
#define PM1_EN 0x02
#define PM1_PWRBTN (1u << 8)
#define PM1_CNT 0x04
#define PM1_CNT_SLP_EN (1u << 13) /* with SLP_TYP 0: QEMU's S5, soft off */
#define GED_SLEEP_CTL (GED_BASE + 0x200)
#define GED_SLEEP_S5 ((5u << 2) | (1u << 5)) /* SLP_TYP 5, SLP_EN */

static enum { POWER_NONE, POWER_GED, POWER_ICH9 } power_kind;
static uint16_t pm_base;

static uint32_t lpc_read32(uint8_t off)
{
    outl(0xcf8, 0x80000000u | (0x1fu << 11) | off);
    return inl(0xcfc);
}

void power_init(void)
{
    if (!pci_present()) {
        if (!mem_rsdp() || paging_map_mmio(GED_BASE, 0x1000) < 0)
            return;                  /* microvm without ACPI has no GED */
        (void)mmio_read32(GED_BASE); /* drop any stale event */
        power_kind = POWER_GED;
    } else if (lpc_read32(0) == ICH9_LPC_ID) {
        pm_base = (uint16_t)(lpc_read32(ICH9_PMBASE) & 0xff80u);
        if (!pm_base)
            return;
        outw(pm_base + PM1_STS, PM1_PWRBTN);
        outw(pm_base + PM1_EN, inw(pm_base + PM1_EN) | PM1_PWRBTN);
        power_kind = POWER_ICH9;
    }
    if (power_kind != POWER_NONE && ioapic_route(ACPI_SCI_GSI, VEC_POWER, false) < 0)
        power_kind = POWER_NONE;
}

bool power_down_requested(void)
{
    if (power_kind == POWER_GED)
        return mmio_read32(GED_BASE) & GED_EVT_PWR_DOWN;
    if (power_kind == POWER_ICH9 && (inw(pm_base + PM1_STS) & PM1_PWRBTN)) {
        outw(pm_base + PM1_STS, PM1_PWRBTN); /* write 1 to clear: lowers the SCI */
        return true;
    }
    return false;
}

void power_off(void)
{
    if (power_kind == POWER_GED)
        mmio_write8(GED_SLEEP_CTL, GED_SLEEP_S5);
    else if (power_kind == POWER_ICH9)
        outw(pm_base + PM1_CNT, PM1_CNT_SLP_EN);
}
