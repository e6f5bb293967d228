package io.evasan.mgmt.impl;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.HttpException;

import java.util.Locale;

/**
 * What the API accepts as a request body, checked from the headers alone before a byte of the body is read.
 *
 * <p>Invariants (with the handler order of {@code ManagementServer}: authentication, then {@link #check},
 * then {@link #bodyHandler}): a request without a valid token is answered 401 and its body is never
 * buffered; a body is only read when its {@code Content-Type} is JSON ({@code application/json} or
 * {@code application/*+json}) or absent (the API's one format; such a body is never decoded as a form or upload) —
 * any other type is 415 field {@code Content-Type}, multipart and form bodies included —
 * and it is at most {@link #MAX_BODY_BYTES} (413 field {@code body}, from {@code Content-Length} up front
 * or while a chunked body arrives); it is held in memory only — file uploads are off, so nothing is
 * written to disk (no {@code file-uploads} directory) for any request, accepted or refused.
 */
public final class RequestLimits {
    /** Largest JSON request body the API reads: 64 KiB (the largest real body, a host with 64 initiators of 223 bytes, is ~15 KiB). */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    private RequestLimits() {
    }

    /** The body handler of {@code /api}: in memory, at most {@link #MAX_BODY_BYTES}, no file uploads, no form decoding. */
    public static BodyHandler bodyHandler() {
        return BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES).setMergeFormAttributes(false);
    }

    /**
     * Refuses, from the headers alone, a body the API would not read: 413 over {@link #MAX_BODY_BYTES}
     * (declared length), 415 for a body whose declared type is not JSON (no type: read as JSON). A request without a body (no or zero
     * {@code Content-Length}, not chunked) passes whatever its content type.
     *
     * @throws ApiError 413 {@code body}, 415 {@code Content-Type}, 400 {@code Content-Length} when malformed
     */
    public static void check(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        String length = req.getHeader(HttpHeaders.CONTENT_LENGTH);
        long declared = -1;
        if (length != null) {
            try {
                declared = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("Content-Length", "header Content-Length = '" + length + "' is not a number");
            }
        }
        String te = req.getHeader(HttpHeaders.TRANSFER_ENCODING);
        boolean chunked = te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
        if (declared > MAX_BODY_BYTES) {
            throw tooLarge();
        }
        if (declared <= 0 && !chunked) {
            return;   // no body
        }
        String type = req.getHeader(HttpHeaders.CONTENT_TYPE);
        if (type != null && !isJson(type)) {
            throw new ApiError(415, "Content-Type '" + type + "' is not accepted: the API reads JSON bodies only"
                    + " (send Content-Type: application/json; file uploads and forms are not accepted)", "Content-Type");
        }
    }

    /** The 413 answer. */
    static ApiError tooLarge() {
        return new ApiError(413, "request body exceeds the limit of " + MAX_BODY_BYTES + " bytes", "body");
    }

    /** True for {@code application/json} and {@code application/<x>+json}, parameters (charset) ignored. */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String t = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return t.equals("application/json") || (t.startsWith("application/") && t.endsWith("+json"));
    }

    /**
     * The error for a routing failure without an {@link ApiError}: the body handler's 413 (a chunked body over
     * the limit) becomes {@link #tooLarge()}, other statuses keep their number. Never null.
     */
    public static Throwable failure(RoutingContext ctx) {
        Throwable t = ctx.failure();
        int status = t instanceof HttpException h ? h.getStatusCode() : ctx.statusCode();
        if (status == 413) {
            return tooLarge();
        }
        if (t != null && !(t instanceof HttpException)) {
            return t;
        }
        return new ApiError(status >= 400 && status <= 599 ? status : 500,
                t instanceof HttpException h && h.getPayload() != null ? h.getPayload() : "request failed", null);
    }
}
