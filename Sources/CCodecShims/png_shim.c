#include "cuboid_codecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cuboid_png_decoder {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size;
    size_t position;
    int header_read;
    char message[CUBOID_CODEC_MESSAGE_LENGTH];
};

static void png_read_from_memory(png_structp png, png_bytep out, png_size_t length) {
    cuboid_png_decoder *decoder = (cuboid_png_decoder *)png_get_io_ptr(png);
    if (length > decoder->size - decoder->position) {
        png_error(png, "unexpected end of data");
    }
    memcpy(out, decoder->data + decoder->position, length);
    decoder->position += length;
}

static void png_record_error(png_structp png, png_const_charp text) {
    cuboid_png_decoder *decoder = (cuboid_png_decoder *)png_get_error_ptr(png);
    snprintf(decoder->message, sizeof decoder->message, "%s", text);
    png_longjmp(png, 1);
}

static void png_ignore_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

cuboid_png_decoder *cuboid_png_decoder_create(const uint8_t *data, size_t size) {
    cuboid_png_decoder *decoder = calloc(1, sizeof *decoder);
    if (!decoder) return NULL;
    decoder->data = data;
    decoder->size = size;
    decoder->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, decoder, png_record_error, png_ignore_warning);
    if (!decoder->png) { free(decoder); return NULL; }
    decoder->info = png_create_info_struct(decoder->png);
    if (!decoder->info) { png_destroy_read_struct(&decoder->png, NULL, NULL); free(decoder); return NULL; }
    png_set_read_fn(decoder->png, decoder, png_read_from_memory);
    /* Ancillary chunks (text, ICC profiles) may not make libpng allocate without bound. */
    png_set_chunk_malloc_max(decoder->png, 16u * 1024u * 1024u);
    return decoder;
}

int cuboid_png_read_header(cuboid_png_decoder *decoder, cuboid_png_info *out) {
    png_structp png = decoder->png;
    png_infop info = decoder->info;
    if (setjmp(png_jmpbuf(png))) return -1;
    png_read_info(png, info);
    out->source_color_type = png_get_color_type(png, info);
    out->source_bit_depth = png_get_bit_depth(png, info);
    out->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    png_set_expand(png);            /* palette -> RGB(A), grey < 8 bit -> 8 bit, tRNS -> alpha */
    if (out->source_bit_depth == 16) png_set_swap(png);  /* samples in host (little-endian) order */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    out->width = png_get_image_width(png, info);
    out->height = png_get_image_height(png, info);
    out->channels = png_get_channels(png, info);
    out->bit_depth = png_get_bit_depth(png, info);
    decoder->header_read = 1;
    return 0;
}

int cuboid_png_read_pixels(cuboid_png_decoder *decoder, uint8_t *pixels, size_t row_bytes) {
    png_structp png = decoder->png;
    png_infop info = decoder->info;
    png_bytep *volatile rows = NULL;
    if (!decoder->header_read) {
        snprintf(decoder->message, sizeof decoder->message, "header not read");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) { free(rows); return -1; }
    uint32_t height = png_get_image_height(png, info);
    if (png_get_rowbytes(png, info) > row_bytes) png_error(png, "row buffer too small");
    rows = malloc(sizeof(png_bytep) * (height ? height : 1));
    if (!rows) png_error(png, "out of memory");
    for (uint32_t y = 0; y < height; y++) rows[y] = pixels + (size_t)y * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);   /* checks the CRCs of the chunks after the image data */
    free(rows);
    return 0;
}

const char *cuboid_png_message(const cuboid_png_decoder *decoder) { return decoder->message; }
size_t cuboid_png_offset(const cuboid_png_decoder *decoder) { return decoder->position; }

void cuboid_png_decoder_destroy(cuboid_png_decoder *decoder) {
    if (!decoder) return;
    png_destroy_read_struct(&decoder->png, &decoder->info, NULL);
    free(decoder);
}

/* ---- encoding ---- */

struct png_output {
    uint8_t *data;
    size_t size;
    size_t capacity;
    int failed;
};

static void png_write_to_memory(png_structp png, png_bytep bytes, png_size_t length) {
    struct png_output *output = (struct png_output *)png_get_io_ptr(png);
    if (output->size + length > output->capacity) {
        size_t capacity = output->capacity ? output->capacity : 65536;
        while (capacity < output->size + length) capacity *= 2;
        uint8_t *grown = realloc(output->data, capacity);
        if (!grown) { output->failed = 1; png_error(png, "out of memory"); }
        output->data = grown;
        output->capacity = capacity;
    }
    memcpy(output->data + output->size, bytes, length);
    output->size += length;
}

static void png_flush_nothing(png_structp png) { (void)png; }

struct png_encode_error { char *message; size_t length; };

static void png_encode_error(png_structp png, png_const_charp text) {
    struct png_encode_error *error = (struct png_encode_error *)png_get_error_ptr(png);
    if (error->message && error->length) snprintf(error->message, error->length, "%s", text);
    png_longjmp(png, 1);
}

int cuboid_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, int bit_depth,
                      size_t row_bytes, int level, uint8_t **result, size_t *result_size,
                      char *message, size_t message_length) {
    static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                       PNG_COLOR_TYPE_RGB_ALPHA};
    struct png_encode_error error = {message, message_length};
    struct png_output output = {0};
    png_bytep *volatile rows = NULL;
    *result = NULL;
    *result_size = 0;
    if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16)) {
        if (message && message_length) snprintf(message, message_length, "unsupported pixel layout");
        return -1;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, png_encode_error, png_ignore_warning);
    if (!png) return -1;
    png_infop info = png_create_info_struct(png);
    if (!info) { png_destroy_write_struct(&png, NULL); return -1; }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        free(output.data);
        return -1;
    }
    png_set_write_fn(png, &output, png_write_to_memory, png_flush_nothing);
    png_set_compression_level(png, level);
    png_set_IHDR(png, info, width, height, bit_depth, color_types[channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (bit_depth == 16) png_set_swap(png);
    rows = malloc(sizeof(png_bytep) * (height ? height : 1));
    if (!rows) png_error(png, "out of memory");
    for (uint32_t y = 0; y < height; y++) rows[y] = (png_bytep)(pixels + (size_t)y * row_bytes);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    *result = output.data;
    *result_size = output.size;
    return 0;
}

void cuboid_codec_free(void *pointer) { free(pointer); }
