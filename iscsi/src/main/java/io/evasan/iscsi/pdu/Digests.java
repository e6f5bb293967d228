package io.evasan.iscsi.pdu;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.util.zip.CRC32C;

/**
 * iSCSI header and data digests (RFC 7143 section 13.1, CRC32C, RFC 3720 appendix B). The digest is
 * the CRC32C of the covered bytes, transmitted least significant byte first (little-endian) on the
 * wire. Invariant: {@link #crc32c} over a known vector matches RFC 3720 B.4 (e.g. 32 zero bytes give
 * 0x8a9136aa).
 */
public final class Digests {
    private Digests() {
    }

    public static int crc32c(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    /** CRC32C over {@code len} bytes of {@code b} from {@code off}, followed by {@code pad} zero bytes. */
    public static int crc32c(Buffer b, int off, int len, int pad) {
        CRC32C c = new CRC32C();
        c.update(((BufferInternal) b).getByteBuf().nioBuffer(off, len));
        for (int i = 0; i < pad; i++) {
            c.update(0);
        }
        return (int) c.getValue();
    }

    /** CRC32C over an array region followed by {@code pad} zero bytes. */
    public static int crc32c(byte[] b, int off, int len, int pad) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        for (int i = 0; i < pad; i++) {
            c.update(0);
        }
        return (int) c.getValue();
    }

    /** CRC32C over the remaining bytes of {@code b} (position unchanged) followed by {@code pad} zeros. */
    public static int crc32c(java.nio.ByteBuffer b, int pad) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate());
        for (int i = 0; i < pad; i++) {
            c.update(0);
        }
        return (int) c.getValue();
    }

    /** Reads a digest as transmitted (little-endian). */
    public static int readDigest(Buffer b, int off) {
        return b.getIntLE(off);
    }
}
