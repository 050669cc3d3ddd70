/* Cuboid's C shim over the system libpng and libjpeg-turbo.
 *
 * libpng and libjpeg report fatal errors by longjmp (libjpeg's default handler even calls exit()),
 * which must never cross a Swift frame. Every function here sets its own setjmp point around the
 * library calls it makes and turns an error into a return value of -1 plus a message and the byte
 * offset the library had read up to. Nothing here allocates pixel memory for a decode: the caller
 * reads the header, checks its pixel budget, then passes a buffer of the size the header implies.
 * This file is internal to the CuboidImages module; no pointer crosses its public API. */
#ifndef CUBOID_CODECS_H
#define CUBOID_CODECS_H

#include <stddef.h>
#include <stdint.h>

#define CUBOID_CODEC_MESSAGE_LENGTH 200

typedef struct {
    uint32_t width;
    uint32_t height;
    int channels;            /* samples per pixel after expansion: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA */
    int bit_depth;           /* 8 or 16 after expansion */
    int source_color_type;   /* PNG_COLOR_TYPE_* as stored */
    int source_bit_depth;    /* 1, 2, 4, 8 or 16 as stored */
    int interlaced;
} cuboid_png_info;

typedef struct cuboid_png_decoder cuboid_png_decoder;

cuboid_png_decoder *cuboid_png_decoder_create(const uint8_t *data, size_t size);
int cuboid_png_read_header(cuboid_png_decoder *decoder, cuboid_png_info *info);
/* Writes height rows of `row_bytes` each (16-bit samples in host byte order). */
int cuboid_png_read_pixels(cuboid_png_decoder *decoder, uint8_t *pixels, size_t row_bytes);
const char *cuboid_png_message(const cuboid_png_decoder *decoder);
size_t cuboid_png_offset(const cuboid_png_decoder *decoder);
void cuboid_png_decoder_destroy(cuboid_png_decoder *decoder);

/* channels 1-4, bit_depth 8 or 16 (host byte order), level 0-9. *output is malloc'd: free with cuboid_codec_free. */
int cuboid_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, int bit_depth,
                      size_t row_bytes, int level, uint8_t **output, size_t *output_size,
                      char *message, size_t message_length);

typedef struct {
    uint32_t width;
    uint32_t height;
    int channels;            /* 1 grey or 3 RGB */
    int source_components;   /* components stored in the file */
    int source_color_space;  /* J_COLOR_SPACE as stored */
    int progressive;
} cuboid_jpeg_info;

typedef struct cuboid_jpeg_decoder cuboid_jpeg_decoder;

cuboid_jpeg_decoder *cuboid_jpeg_decoder_create(const uint8_t *data, size_t size, int max_scans);
int cuboid_jpeg_read_header(cuboid_jpeg_decoder *decoder, cuboid_jpeg_info *info);
int cuboid_jpeg_read_pixels(cuboid_jpeg_decoder *decoder, uint8_t *pixels, size_t row_bytes);
/* Number of warnings (corrupt data libjpeg chose to skip over) seen so far; the first one's text
 * is in cuboid_jpeg_message when no error happened. */
int cuboid_jpeg_warning_count(const cuboid_jpeg_decoder *decoder);
const char *cuboid_jpeg_message(const cuboid_jpeg_decoder *decoder);
size_t cuboid_jpeg_offset(const cuboid_jpeg_decoder *decoder);
void cuboid_jpeg_decoder_destroy(cuboid_jpeg_decoder *decoder);

/* channels 1 or 3, quality 1-100. *output is malloc'd: free with cuboid_codec_free. */
int cuboid_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, size_t row_bytes,
                       int quality, int progressive, uint8_t **output, size_t *output_size,
                       char *message, size_t message_length);

void cuboid_codec_free(void *pointer);

#endif
