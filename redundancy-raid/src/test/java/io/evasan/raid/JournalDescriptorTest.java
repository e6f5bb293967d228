package io.evasan.raid;

import io.evasan.raid.journal.JournalDescriptor;
import io.evasan.raid.journal.JournalDescriptor.Entry;
import io.evasan.raid.journal.JournalDescriptor.Record;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The journal record layout: golden bytes, round trip, every flipped bit rejected, geometry. */
class JournalDescriptorTest {
    private static final UUID POOL = new UUID(0x0102030405060708L, 0x090A0B0C0D0E0F10L);

    private static ByteBuffer golden() {
        ByteBuffer b = ByteBuffer.allocate(JournalDescriptor.SLOT_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        JournalDescriptor.putEntry(b, 0, new Entry(3, 1, 7, 0x1234_5600L, 0x30200, 1024, 0));
        JournalDescriptor.putEntry(b, 1, new Entry(258, 4, 9, 0x2000_0000L, 0x30000, 512, 1024));
        for (int i = 0; i < 1536; i++) {
            b.put(JournalDescriptor.payloadAt(i), (byte) i);
        }
        JournalDescriptor.putHeader(b, 0x1122334455L, POOL, 2, 3, 0xABCDEFL, 6, 2, 1536);
        JournalDescriptor.seal(b);
        b.limit(JournalDescriptor.HEADER_BYTES + 1536);
        return b;
    }

    @Test
    void shouldEncodeTheDocumentedBytes() {
        ByteBuffer b = golden();
        byte[] head = new byte[128];
        b.get(0, head);
        String hex = "45564a31" + "0100" + "0200" + "5544332211000000" + "0807060504030201" + "100f0e0d0c0b0a09"
                + "02000000" + "03000000" + "efcdab0000000000" + "0600000000000000" + "00060000" + "00000000"
                // write 0: drive 3, member 1, PSEG 7, drive offset 0x12345600, PSEG offset 0x30200, 1024 B at 0
                + "0300" + "01" + "00" + "07000000" + "0056341200000000" + "00020300" + "00040000" + "00000000" + "00000000"
                // write 1: drive 258, member 4, PSEG 9, drive offset 0x20000000, PSEG offset 0x30000, 512 B at 1024
                + "0201" + "04" + "00" + "09000000" + "0000002000000000" + "00000300" + "00020000" + "00040000" + "00000000";
        assertEquals(hex, HexFormat.of().formatHex(head));
        for (int i = 128; i < JournalDescriptor.CRC_OFFSET; i++) {
            assertEquals(0, b.get(i), "reserved byte " + i);
        }
        assertEquals(0x17e3db18, b.getInt(JournalDescriptor.CRC_OFFSET), "CRC32C of header 0..507 + payload (computed independently, bitwise, polynomial 0x82F63B78)");
    }

    @Test
    void shouldRoundTrip() {
        Record r = JournalDescriptor.decode(4, golden());
        assertNotNull(r);
        assertEquals(4, r.slot());
        assertEquals(0x1122334455L, r.sequence());
        assertEquals(POOL, r.poolId());
        assertEquals(2, r.groupId());
        assertEquals(3, r.row());
        assertEquals(0xABCDEFL, r.rsdId());
        assertEquals(6, r.generation());
        assertEquals(new Entry(3, 1, 7, 0x1234_5600L, 0x30200, 1024, 0), r.entries()[0]);
        assertEquals(new Entry(258, 4, 9, 0x2000_0000L, 0x30000, 512, 1024), r.entries()[1]);
        assertEquals(1536, r.payload().remaining());
        assertEquals((byte) 1025, r.payload().get(1025));
    }

    @Test
    void shouldRejectEveryFlippedBit() {
        int len = JournalDescriptor.HEADER_BYTES + 1536;
        for (int i = 0; i < len; i++) {
            for (int bit = 0; bit < 8; bit += 3) {
                ByteBuffer b = golden();
                b.put(i, (byte) (b.get(i) ^ (1 << bit)));
                assertNull(JournalDescriptor.decode(0, b), "flipped bit " + bit + " of byte " + i);
            }
        }
    }

    @Test
    void shouldTreatRetiredShortAndTornSlotsAsEmpty() {
        ByteBuffer b = golden();
        JournalDescriptor.retire(b);
        assertTrue(JournalDescriptor.isRetired(b));
        assertNull(JournalDescriptor.decode(0, b));
        ByteBuffer torn = golden();
        torn.limit(JournalDescriptor.HEADER_BYTES + 1000); // the payload's tail never reached the file
        assertNull(JournalDescriptor.decode(0, torn));
        assertTrue(JournalDescriptor.isRetired(ByteBuffer.allocate(100)));
    }

    @Test
    void shouldSizeSlotsForAFullDegradedRowWrite() {
        assertEquals(io.evasan.raid.rstore.impl.RStoreImpl.UNIT, JournalDescriptor.UNIT);
        // a degraded RAID5 row write touches at most 3 usable data members and parity, 64 KiB each
        assertEquals(4 * 65536, JournalDescriptor.MAX_PAYLOAD);
        assertEquals(512 + 4 * 65536, JournalDescriptor.SLOT_BYTES);
        assertEquals(8L * (512 + 4 * 65536), JournalDescriptor.FILE_BYTES);
        assertEquals(2L * JournalDescriptor.SLOT_BYTES, JournalDescriptor.slotOffset(2));
        assertEquals(64 + 3 * 32, JournalDescriptor.entryOffset(3));
        assertTrue(JournalDescriptor.entryOffset(JournalDescriptor.MAX_WRITES - 1) + JournalDescriptor.ENTRY_BYTES
                <= JournalDescriptor.CRC_OFFSET);
        assertThrows(IllegalArgumentException.class, () -> JournalDescriptor.slotOffset(JournalDescriptor.SLOTS));
        assertThrows(IllegalArgumentException.class, () -> JournalDescriptor.entryOffset(4));
        assertThrows(IllegalArgumentException.class, () -> JournalDescriptor.putHeader(ByteBuffer.allocate(512), 1,
                POOL, 0, 0, 1, 1, 5, 0));
    }
}
