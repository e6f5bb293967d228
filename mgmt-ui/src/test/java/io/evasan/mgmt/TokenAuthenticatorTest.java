package io.evasan.mgmt;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mgmt.impl.AuthRecordDescriptor;
import io.evasan.mgmt.impl.TokenAuthenticator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The credential file store: created once, only a salted hash kept, damaged record refused untouched. */
class TokenAuthenticatorTest {
    @Test
    void shouldCreateATokenOnceAndStoreOnlyItsSaltedHash(@TempDir Path dir) throws Exception {
        ManagementConfig cfg = new ManagementConfig().stateDirectory(dir);
        TokenAuthenticator first = TokenAuthenticator.loadOrCreate(cfg);
        String token = first.createdToken().orElseThrow();
        assertTrue(token.length() >= 43, "256 random bits");
        byte[] stored = Files.readAllBytes(dir.resolve(TokenAuthenticator.FILE_NAME));
        assertEquals(AuthRecordDescriptor.LENGTH, stored.length);
        assertFalse(new String(stored, StandardCharsets.ISO_8859_1).contains(token));
        assertTrue(first.verify(token));
        assertTrue(first.verifyHeader("Bearer " + token));
        assertTrue(first.verifyHeader("bearer " + token));
        assertFalse(first.verifyHeader(token));
        assertFalse(first.verifyHeader("Bearer " + token + "x"));
        assertFalse(first.verifyHeader(null));
        assertFalse(first.verify(""));

        TokenAuthenticator second = TokenAuthenticator.loadOrCreate(cfg);
        assertTrue(second.createdToken().isEmpty());
        assertTrue(second.verify(token));
        assertArrayEquals(stored, Files.readAllBytes(dir.resolve(TokenAuthenticator.FILE_NAME)));

        TokenAuthenticator other = TokenAuthenticator.loadOrCreate(new ManagementConfig().stateDirectory(dir.resolve("b")));
        assertNotEquals(token, other.createdToken().orElseThrow());
        assertFalse(other.verify(token));
    }

    @Test
    void shouldRefuseADamagedRecordAndLeaveItUntouched(@TempDir Path dir) throws Exception {
        Path f = dir.resolve(TokenAuthenticator.FILE_NAME);
        byte[] junk = "not a credential record".getBytes(StandardCharsets.US_ASCII);
        Files.write(f, junk);
        StorageException e = assertThrows(StorageException.class,
                () -> TokenAuthenticator.loadOrCreate(new ManagementConfig().stateDirectory(dir)));
        assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
        assertArrayEquals(junk, Files.readAllBytes(f));
    }

    @Test
    void shouldRoundTripTheDescriptor() {
        byte[] salt = new byte[16];
        byte[] hash = new byte[32];
        for (int i = 0; i < 32; i++) {
            hash[i] = (byte) i;
            if (i < 16) {
                salt[i] = (byte) (100 + i);
            }
        }
        byte[] r = AuthRecordDescriptor.encode(salt, hash);
        assertTrue(AuthRecordDescriptor.valid(r));
        assertArrayEquals(salt, AuthRecordDescriptor.salt(r));
        assertArrayEquals(hash, AuthRecordDescriptor.hash(r));
        r[0] ^= 1;
        assertFalse(AuthRecordDescriptor.valid(r));
        assertThrows(IllegalArgumentException.class, () -> new ManagementServerConfigProbe().run());
    }

    /** A config without any credential store is a programming error. */
    static final class ManagementServerConfigProbe {
        void run() {
            TokenAuthenticator.loadOrCreate(new ManagementConfig());
        }
    }
}
