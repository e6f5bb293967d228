package io.evasan.sanhost.nbd;

import io.evasan.sanhost.nbd.NbdDescriptor.GoRequest;
import io.evasan.sanhost.nbd.NbdDescriptor.OptionHeader;
import io.evasan.sanhost.nbd.NbdDescriptor.Request;
import io.evasan.sanhost.nbd.NbdDescriptor.SimpleReply;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static io.evasan.sanhost.nbd.NbdDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

/** Golden bytes of every NBD layout, with the values of the NBD protocol document. */
class NbdDescriptorTest {
    static final HexFormat HEX = HexFormat.of();

    @Test
    void shouldEncodeTheHandshakeAsTheGoldenBytes() {
        // "NBDMAGIC", "IHAVEOPT", FIXED_NEWSTYLE | NO_ZEROES
        assertEquals("4e42444d41474943" + "49484156454f5054" + "0003",
                HEX.formatHex(greeting(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES)));
        // option request header: IHAVEOPT, NBD_OPT_GO (7), 10 bytes of data
        OptionHeader h = new OptionHeader(IHAVEOPT, OPT_GO, 10);
        assertEquals("49484156454f5054" + "00000007" + "0000000a", HEX.formatHex(h.encode()));
        assertEquals(h, OptionHeader.decode(h.encode()));
        // GO data: name length 4, "lun0", one info request NBD_INFO_BLOCK_SIZE (3)
        GoRequest g = new GoRequest("lun0", new int[] {INFO_BLOCK_SIZE});
        assertEquals("00000004" + "6c756e30" + "0001" + "0003", HEX.formatHex(g.encode()));
        GoRequest back = GoRequest.decode(g.encode());
        assertEquals("lun0", back.name());
        assertArrayEquals(new int[] {3}, back.infoTypes());
        // option reply: magic 0003e889045565a9, option 7, NBD_REP_ACK (1), no data
        assertEquals("0003e889045565a9" + "00000007" + "00000001" + "00000000",
                HEX.formatHex(optionReply(OPT_GO, REP_ACK, new byte[0])));
        // NBD_REP_ERR_UNSUP = 2^31 + 1 with a message
        assertEquals("0003e889045565a9" + "00000008" + "80000001" + "00000002" + "6e6f",
                HEX.formatHex(optionReply(OPT_STRUCTURED_REPLY, REP_ERR_UNSUP, "no".getBytes())));
        // NBD_INFO_EXPORT: type 0, size 1 MiB, flags HAS_FLAGS|SEND_FLUSH|SEND_FUA|SEND_TRIM = 2Dh
        assertEquals("0000" + "0000000000100000" + "002d", HEX.formatHex(infoExport(1 << 20,
                FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_FUA | FLAG_SEND_TRIM)));
        // NBD_INFO_BLOCK_SIZE: type 3, minimum 512, preferred 4096, maximum 32 MiB
        assertEquals("0003" + "00000200" + "00001000" + "02000000", HEX.formatHex(infoBlockSize(512, 4096, 32 << 20)));
        // NBD_REP_SERVER data: name length, name
        assertEquals("00000004" + "6c756e30", HEX.formatHex(serverData("lun0")));
        // NBD_OPT_EXPORT_NAME answer: size, flags, 124 zero bytes unless NO_ZEROES
        assertEquals("0000000000001000" + "002d", HEX.formatHex(exportNameReply(4096, 0x2D, true)));
        byte[] zeroes = exportNameReply(4096, 0x2D, false);
        assertEquals(134, zeroes.length);
        assertEquals("0000000000001000" + "002d" + "00".repeat(124), HEX.formatHex(zeroes));
    }

    @Test
    void shouldEncodeTransmissionRequestsAndRepliesAsTheGoldenBytes() {
        // magic 25609513, flags FUA, NBD_CMD_WRITE (1), handle, offset 4096, length 512
        Request w = new Request(REQUEST_MAGIC, CMD_FLAG_FUA, CMD_WRITE, 0x0102030405060708L, 4096, 512);
        assertEquals("25609513" + "0001" + "0001" + "0102030405060708" + "0000000000001000" + "00000200",
                HEX.formatHex(w.encode()));
        assertEquals(w, Request.decode(w.encode()));
        // a length with the top bit set stays unsigned
        Request big = Request.decode(new Request(REQUEST_MAGIC, 0, CMD_READ, 1, 0, 0xFFFF_FFFFL).encode());
        assertEquals(0xFFFF_FFFFL, big.length());
        assertEquals("25609513" + "0000" + "0003" + "0000000000000009" + "0000000000000000" + "00000000",
                HEX.formatHex(new Request(REQUEST_MAGIC, 0, CMD_FLUSH, 9, 0, 0).encode()));
        // simple reply: magic 67446698, error EIO (5), handle
        assertEquals("67446698" + "00000005" + "0102030405060708", HEX.formatHex(SimpleReply.encode(EIO, 0x0102030405060708L)));
        assertEquals(new SimpleReply(SIMPLE_REPLY_MAGIC, EINVAL, 7), SimpleReply.decode(SimpleReply.encode(EINVAL, 7)));
        // command and error numbers
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, new int[] {CMD_READ, CMD_WRITE, CMD_DISC, CMD_FLUSH, CMD_TRIM});
        assertArrayEquals(new int[] {1, 5, 12, 22, 28, 75, 95, 108},
                new int[] {EPERM, EIO, ENOMEM, EINVAL, ENOSPC, EOVERFLOW, ENOTSUP, ESHUTDOWN});
    }

    @Test
    void shouldRefuseGoDataWhoseLengthsDoNotAddUp() {
        assertThrows(IllegalArgumentException.class, () -> GoRequest.decode(new byte[5]));
        assertThrows(IllegalArgumentException.class, () -> GoRequest.decode(HEX.parseHex("000000ff" + "0000")));
        assertThrows(IllegalArgumentException.class, () -> GoRequest.decode(HEX.parseHex("00000000" + "0002" + "0003")));
        assertThrows(IllegalArgumentException.class, () -> GoRequest.decode(HEX.parseHex("ffffffff" + "0000")));
    }
}
