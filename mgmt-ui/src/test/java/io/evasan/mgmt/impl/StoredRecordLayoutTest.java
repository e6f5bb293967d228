package io.evasan.mgmt.impl;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The stored host and schedule records byte for byte: the hex below was written by the descriptors as
 * they were when these records first went to disk (2026-11-22), so a record already in an MLD or a
 * {@code .bin} file must still decode to the same value and a new one must still encode to the same bytes.
 * Host records went to version 2 (updatedMillis, for PATCH /api/hosts/{name}), then to version 3 (a pending
 * change of the presentations, for crash-safe edits and deletes); the version-1 bytes must still decode, with
 * updatedMillis = createdMillis, and the version-2 bytes as version 3 without a pending change.
 */
class StoredRecordLayoutTest {
    private static final HexFormat HEX = HexFormat.of();

    private static void assertHostLayout(String hex, HostDescriptor.Stored h) {
        assertEquals(hex, HEX.formatHex(HostDescriptor.encode(h)));
        assertEquals(h, HostDescriptor.decode(HEX.parseHex(hex)));
    }

    /** An older host record (version 1 or 2): still decodes; re-encoding writes version 3. */
    private static void assertOldHostDecodes(String hex, HostDescriptor.Stored h) {
        assertEquals(h, HostDescriptor.decode(HEX.parseHex(hex)));
    }

    private static void assertScheduleLayout(String hex, ScheduleDescriptor.Stored s) {
        assertEquals(hex, HEX.formatHex(ScheduleDescriptor.encode(s)));
        assertEquals(s, ScheduleDescriptor.decode(HEX.parseHex(hex)));
    }

    @Test
    void shouldKeepTheHostRecordLayout() {   // version 3 (pending change), 2026-11-22
        assertHostLayout("4556484f030003000300020000505c18a301000040ce6118a3010000776562150069716e2e323032362d31312e746573743a77656231150069716e2e323032362d31312e746573743a776562320700776562757365720f007765622d7365637265742d3031323303007467740f007467742d7365637265742d34353637191988c6",
                new HostDescriptor.Stored("web", List.of("iqn.2026-11.test:web1", "iqn.2026-11.test:web2"),
                        new HostDescriptor.Chap("webuser", "web-secret-0123", "tgt", "tgt-secret-4567"), 1_800_000_000_000L,
                        1_800_000_360_000L));
        assertHostLayout("4556484f030000000500010005000000000000000500000000000000706c61696e14006575692e30313233343536373839414243444546a94e1a03",
                new HostDescriptor.Stored("plain", List.of("eui.0123456789ABCDEF"), null, 5L));
        // an edit recorded but not finished: e3 added (to see LUN 7 at host LUN 0 and LUN 9 at 3), e1 retiring
        assertHostLayout("4556484f030005000200020000505c18a3010000804c6718a30100006564130069716e2e323032362d31312e746573743a6532130069716e2e323032362d31312e746573743a653303006564750f00656469742d7365637265742d303132000000000100130069716e2e323032362d31312e746573743a65330100130069716e2e323032362d31312e746573743a65310200000000000700000003000000090000007fd86847",
                new HostDescriptor.Stored("ed", List.of("iqn.2026-11.test:e2", "iqn.2026-11.test:e3"),
                        new HostDescriptor.Chap("edu", "edit-secret-012", null, null), 1_800_000_000_000L, 1_800_000_720_000L,
                        new HostDescriptor.Pending(List.of("iqn.2026-11.test:e3"), List.of("iqn.2026-11.test:e1"),
                                java.util.Map.of(0, 7, 3, 9), false)));
        // a delete recorded but not finished: no initiators, both former ones retiring
        assertHostLayout("4556484f03000c000400000000505c18a3010000c0ca6c18a3010000676f6e6500000200130069716e2e323032362d31312e746573743a673114006e61612e303132333435363738396162636465660000dfbf0cbe",
                new HostDescriptor.Stored("gone", List.of(), null, 1_800_000_000_000L, 1_800_001_080_000L,
                        new HostDescriptor.Pending(List.of(), List.of("iqn.2026-11.test:g1", "naa.0123456789abcdef"), java.util.Map.of(), true)));
    }

    @Test
    void shouldStillDecodeVersion2HostRecords() {   // as written 2026-11-22 before pending changes existed
        assertOldHostDecodes("4556484f020003000300020000505c18a301000040ce6118a3010000776562150069716e2e323032362d31312e746573743a77656231150069716e2e323032362d31312e746573743a776562320700776562757365720f007765622d7365637265742d3031323303007467740f007467742d7365637265742d3435363799ae16b5",
                new HostDescriptor.Stored("web", List.of("iqn.2026-11.test:web1", "iqn.2026-11.test:web2"),
                        new HostDescriptor.Chap("webuser", "web-secret-0123", "tgt", "tgt-secret-4567"), 1_800_000_000_000L,
                        1_800_000_360_000L));
        assertOldHostDecodes("4556484f020000000500010005000000000000000500000000000000706c61696e14006575692e303132333435363738394142434445462f74323a",
                new HostDescriptor.Stored("plain", List.of("eui.0123456789ABCDEF"), null, 5L));
    }

    @Test
    void shouldStillDecodeVersion1HostRecords() {
        assertOldHostDecodes("4556484f010003000300020000505c18a3010000776562150069716e2e323032362d31312e746573743a77656231150069716e2e323032362d31312e746573743a776562320700776562757365720f007765622d7365637265742d3031323303007467740f007467742d7365637265742d34353637fcc64426",
                new HostDescriptor.Stored("web", List.of("iqn.2026-11.test:web1", "iqn.2026-11.test:web2"),
                        new HostDescriptor.Chap("webuser", "web-secret-0123", "tgt", "tgt-secret-4567"), 1_800_000_000_000L));
        assertOldHostDecodes("4556484f010001000200010001505c18a30100006462140069716e2e323032362d31312e746573743a64623106006462757365720f0064622d7365637265742d30313233340000000003366362",
                new HostDescriptor.Stored("db", List.of("iqn.2026-11.test:db1"),
                        new HostDescriptor.Chap("dbuser", "db-secret-01234", null, null), 1_800_000_000_001L));
        assertOldHostDecodes("4556484f01000000050001000500000000000000706c61696e14006575692e30313233343536373839414243444546a0d61977",
                new HostDescriptor.Stored("plain", List.of("eui.0123456789ABCDEF"), null, 5L));
    }

    @Test
    void shouldKeepTheScheduleRecordLayout() {
        assertScheduleLayout("45565343010001008051010007000c000600000000505c18a3010000ffffffffffffffff6e696768746c792e64622d316c756e3ac3a402e84865",
                new ScheduleDescriptor.Stored("nightly.db-1", "lun:ä", 86_400, 7, true, 1_800_000_000_000L, -1));
        assertScheduleLayout("45565343010000003c000000000101000200000001000000000000000200000000000000686c31340de5b0",
                new ScheduleDescriptor.Stored("h", "l1", 60, 256, false, 1L, 2L));
    }

    /** {@code hex} with the u16 flags at offset 6 set to {@code flags} and the CRC-32C trailer made right again. */
    private static byte[] withFlags(String hex, int flags) {
        byte[] r = HEX.parseHex(hex);
        r[6] = (byte) flags;
        r[7] = (byte) (flags >>> 8);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(r, 0, r.length - 4);
        java.nio.ByteBuffer.wrap(r).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(r.length - 4, (int) crc.getValue());
        return r;
    }

    @Test
    void shouldRefuseHostFlagsTheVersionDoesNotHave() {
        String v3 = "4556484f030000000500010005000000000000000500000000000000706c61696e14006575692e30313233343536373839414243444546a94e1a03";
        String v2 = "4556484f020000000500010005000000000000000500000000000000706c61696e14006575692e303132333435363738394142434445462f74323a";
        assertEquals("plain", HostDescriptor.decode(withFlags(v3, 0)).name(), "the CRC helper itself");
        for (int flags : new int[] {0x10, 0x8000, HostDescriptor.FLAG_DELETING}) {   // unknown; deleting without pending
            org.junit.jupiter.api.Assertions.assertThrows(io.evasan.error.StorageException.class,
                    () -> HostDescriptor.decode(withFlags(v3, flags)), "flags " + flags);
        }
        // version 2 knows no pending change; a v3 record flagged pending without its section runs short
        org.junit.jupiter.api.Assertions.assertThrows(io.evasan.error.StorageException.class,
                () -> HostDescriptor.decode(withFlags(v2, HostDescriptor.FLAG_PENDING)));
        org.junit.jupiter.api.Assertions.assertThrows(io.evasan.error.StorageException.class,
                () -> HostDescriptor.decode(withFlags(v3, HostDescriptor.FLAG_PENDING)));
    }
}
