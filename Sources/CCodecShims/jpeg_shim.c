#include "cuboid_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

struct cuboid_jpeg_error {
    struct jpeg_error_mgr manager;   /* must be first: libjpeg casts to it */
    jmp_buf jump;
    int warnings;
    char message[CUBOID_CODEC_MESSAGE_LENGTH];
};

struct cuboid_jpeg_decoder {
    struct jpeg_decompress_struct info;
    struct cuboid_jpeg_error error;
    struct jpeg_progress_mgr progress;
    const uint8_t *data;
    size_t size;
    int max_scans;
    int created;
    int header_read;
};

static void jpeg_jump_on_error(j_common_ptr common) {
    struct cuboid_jpeg_error *error = (struct cuboid_jpeg_error *)common->err;
    (*common->err->format_message)(common, error->message);
    longjmp(error->jump, 1);
}

static void jpeg_count_warning(j_common_ptr common, int level) {
    struct cuboid_jpeg_error *error = (struct cuboid_jpeg_error *)common->err;
    if (level < 0) {   /* -1: a warning about corrupt data; higher levels are trace messages */
        if (error->warnings == 0) (*common->err->format_message)(common, error->message);
        error->warnings += 1;
    }
}

static void jpeg_silence(j_common_ptr common) { (void)common; }

/* A progressive file may hold thousands of tiny scans, each a full pass over the coefficients:
 * stop those before they cost minutes. */
static void jpeg_limit_scans(j_common_ptr common) {
    j_decompress_ptr info = (j_decompress_ptr)common;
    struct cuboid_jpeg_decoder *decoder = (struct cuboid_jpeg_decoder *)info;  /* info is the first member */
    if (info->is_decompressor && info->input_scan_number > decoder->max_scans) {
        struct cuboid_jpeg_error *error = (struct cuboid_jpeg_error *)common->err;
        snprintf(error->message, sizeof error->message, "more than %d scans", decoder->max_scans);
        longjmp(error->jump, 1);
    }
}

cuboid_jpeg_decoder *cuboid_jpeg_decoder_create(const uint8_t *data, size_t size, int max_scans) {
    cuboid_jpeg_decoder *decoder = calloc(1, sizeof *decoder);
    if (!decoder) return NULL;
    decoder->data = data;
    decoder->size = size;
    decoder->max_scans = max_scans;
    decoder->info.err = jpeg_std_error(&decoder->error.manager);
    decoder->error.manager.error_exit = jpeg_jump_on_error;
    decoder->error.manager.emit_message = jpeg_count_warning;
    decoder->error.manager.output_message = jpeg_silence;
    if (setjmp(decoder->error.jump)) {
        if (decoder->created) jpeg_destroy_decompress(&decoder->info);
        free(decoder);
        return NULL;
    }
    jpeg_create_decompress(&decoder->info);
    decoder->created = 1;
    decoder->progress.progress_monitor = jpeg_limit_scans;
    decoder->info.progress = &decoder->progress;
    return decoder;
}

int cuboid_jpeg_read_header(cuboid_jpeg_decoder *decoder, cuboid_jpeg_info *out) {
    j_decompress_ptr info = &decoder->info;
    if (setjmp(decoder->error.jump)) return -1;
    /* The source is attached here, under this call's error handler: jpeg_mem_src itself rejects
     * empty input with an error that must reach the caller as a message, not as a failed create. */
    jpeg_mem_src(info, decoder->data, (unsigned long)decoder->size);
    jpeg_read_header(info, TRUE);
    out->width = info->image_width;
    out->height = info->image_height;
    out->source_components = info->num_components;
    out->source_color_space = info->jpeg_color_space;
    out->progressive = info->progressive_mode;
    switch (info->jpeg_color_space) {
    case JCS_GRAYSCALE:
        info->out_color_space = JCS_GRAYSCALE;
        out->channels = 1;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        info->out_color_space = JCS_CMYK;  /* converted to RGB row by row in read_pixels */
        out->channels = 3;
        break;
    default:
        info->out_color_space = JCS_RGB;
        out->channels = 3;
        break;
    }
    decoder->header_read = 1;
    return 0;
}

int cuboid_jpeg_read_pixels(cuboid_jpeg_decoder *decoder, uint8_t *pixels, size_t row_bytes) {
    j_decompress_ptr info = &decoder->info;
    JSAMPLE *volatile cmyk_row = NULL;
    if (!decoder->header_read) {
        snprintf(decoder->error.message, sizeof decoder->error.message, "header not read");
        return -1;
    }
    if (setjmp(decoder->error.jump)) { free(cmyk_row); return -1; }
    jpeg_start_decompress(info);
    if (info->out_color_space == JCS_CMYK) {
        cmyk_row = malloc((size_t)info->output_width * 4);
        if (!cmyk_row) { snprintf(decoder->error.message, sizeof decoder->error.message, "out of memory"); return -1; }
        while (info->output_scanline < info->output_height) {
            uint8_t *row = pixels + (size_t)info->output_scanline * row_bytes;
            JSAMPROW source = cmyk_row;
            jpeg_read_scanlines(info, &source, 1);
            /* Adobe files store inverted CMYK: R = C * K / 255 on the stored values. */
            for (JDIMENSION x = 0; x < info->output_width; x++) {
                unsigned k = cmyk_row[4 * x + 3];
                row[3 * x + 0] = (uint8_t)((cmyk_row[4 * x + 0] * k + 127) / 255);
                row[3 * x + 1] = (uint8_t)((cmyk_row[4 * x + 1] * k + 127) / 255);
                row[3 * x + 2] = (uint8_t)((cmyk_row[4 * x + 2] * k + 127) / 255);
            }
        }
        free(cmyk_row);
        cmyk_row = NULL;
    } else {
        JSAMPROW rows[16];
        while (info->output_scanline < info->output_height) {
            int batch = info->rec_outbuf_height < 16 ? info->rec_outbuf_height : 16;
            if (batch < 1) batch = 1;
            for (int i = 0; i < batch; i++) {
                JDIMENSION y = info->output_scanline + (JDIMENSION)i;
                if (y >= info->output_height) y = info->output_height - 1;
                rows[i] = pixels + (size_t)y * row_bytes;
            }
            jpeg_read_scanlines(info, rows, (JDIMENSION)batch);
        }
    }
    jpeg_finish_decompress(info);
    return 0;
}

int cuboid_jpeg_warning_count(const cuboid_jpeg_decoder *decoder) { return decoder->error.warnings; }
const char *cuboid_jpeg_message(const cuboid_jpeg_decoder *decoder) { return decoder->error.message; }

size_t cuboid_jpeg_offset(const cuboid_jpeg_decoder *decoder) {
    const struct jpeg_source_mgr *source = decoder->info.src;
    if (!source || !source->next_input_byte) return 0;
    size_t offset = (size_t)(source->next_input_byte - decoder->data);
    return offset > decoder->size ? decoder->size : offset;
}

void cuboid_jpeg_decoder_destroy(cuboid_jpeg_decoder *decoder) {
    if (!decoder) return;
    if (decoder->created) jpeg_destroy_decompress(&decoder->info);
    free(decoder);
}

/* ---- encoding ---- */

int cuboid_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, size_t row_bytes,
                       int quality, int progressive, uint8_t **result, size_t *result_size,
                       char *message, size_t message_length) {
    struct jpeg_compress_struct info;
    struct cuboid_jpeg_error error;
    unsigned char *volatile buffer = NULL;
    unsigned long size = 0;
    *result = NULL;
    *result_size = 0;
    memset(&error, 0, sizeof error);
    if (channels != 1 && channels != 3) {
        if (message && message_length) snprintf(message, message_length, "JPEG needs 1 or 3 channels");
        return -1;
    }
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = jpeg_jump_on_error;
    error.manager.output_message = jpeg_silence;
    if (setjmp(error.jump)) {
        if (message && message_length) snprintf(message, message_length, "%s", error.message);
        jpeg_destroy_compress(&info);
        free(buffer);
        return -1;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, (unsigned char **)&buffer, &size);
    info.image_width = width;
    info.image_height = height;
    info.input_components = channels;
    info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    if (progressive) jpeg_simple_progression(&info);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)info.next_scanline * row_bytes);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    *result = buffer;
    *result_size = size;
    return 0;
}
