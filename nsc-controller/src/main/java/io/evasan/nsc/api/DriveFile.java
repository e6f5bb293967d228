package io.evasan.nsc.api;

/** A file drive to create: {@code path} relative to the pool directory, {@code sizeBytes} a multiple of 1 MiB. */
public record DriveFile(String path, long sizeBytes) {
}
