package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mgmt.ManagementConfig;
import io.evasan.nsc.api.Records;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * The admin bearer token: created on first start (256 bits from {@link SecureRandom}), handed to the
 * caller once, stored only as a salted SHA-256 ({@link AuthRecordDescriptor}) in the MLD or in a file.
 * Invariant: the token itself is never stored; {@link #verify} compares hashes in constant time.
 */
public final class TokenAuthenticator {
    public static final String FILE_NAME = "mgmt-auth.bin";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] salt;
    private final byte[] hash;
    private final String createdToken;

    private TokenAuthenticator(byte[] salt, byte[] hash, String createdToken) {
        this.salt = salt;
        this.hash = hash;
        this.createdToken = createdToken;
    }

    /**
     * Loads the stored hash, or on first start creates a token and stores its hash.
     *
     * @throws StorageException CORRUPT_METADATA when a stored record is malformed (left untouched),
     *                          IO_ERROR when the file cannot be written
     */
    public static TokenAuthenticator loadOrCreate(ManagementConfig config) {
        Records mld = config.records();
        Path file = config.stateDirectory() == null ? null : config.stateDirectory().resolve(FILE_NAME);
        if (mld == null && file == null) {
            throw new IllegalArgumentException("ManagementConfig needs records(...) or stateDirectory(...)");
        }
        byte[] stored = mld != null ? mld.get(ManagementConfig.AUTH_KIND, ManagementConfig.AUTH_KEY).orElse(null) : readFile(file);
        if (stored != null) {
            if (!AuthRecordDescriptor.valid(stored)) {
                throw new StorageException(ErrorCode.CORRUPT_METADATA, "stored management credential ("
                        + (mld != null ? "MLD record " + ManagementConfig.AUTH_KIND : file) + ") is malformed");
            }
            return new TokenAuthenticator(AuthRecordDescriptor.salt(stored), AuthRecordDescriptor.hash(stored), null);
        }
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        byte[] salt = new byte[AuthRecordDescriptor.SALT_LENGTH];
        RANDOM.nextBytes(salt);
        byte[] hash = hash(salt, token);
        byte[] record = AuthRecordDescriptor.encode(salt, hash);
        if (mld != null) {
            mld.put(ManagementConfig.AUTH_KIND, ManagementConfig.AUTH_KEY, record);
        } else {
            writeFile(file, record);
        }
        return new TokenAuthenticator(salt, hash, token);
    }

    /** The token created by this start, or empty when it was created by an earlier start. */
    public Optional<String> createdToken() {
        return Optional.ofNullable(createdToken);
    }

    /** Constant-time check of a presented token (null = none presented). */
    public boolean verify(String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(hash, hash(salt, presented));
    }

    /** Checks an HTTP Authorization header value of the form {@code Bearer <token>}. */
    public boolean verifyHeader(String authorization) {
        if (authorization == null || authorization.length() < 7
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return verify(authorization.substring(7).trim());
    }

    static byte[] hash(byte[] salt, String token) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(salt);
            d.update(token.getBytes(StandardCharsets.UTF_8));
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    private static byte[] readFile(Path file) {
        try {
            return Files.exists(file) ? Files.readAllBytes(file) : null;
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** temp file + fsync + rename + directory fsync, owner-only permissions where POSIX. */
    private static void writeFile(Path file, byte[] record) {
        try {
            Path dir = file.getParent();
            Files.createDirectories(dir);
            Path tmp = dir.resolve(FILE_NAME + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(record));
                ch.force(true);
            }
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // non-POSIX file system: permissions as the directory gives them
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException ignored) {
                // some file systems cannot open a directory for fsync; the rename is still atomic
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
