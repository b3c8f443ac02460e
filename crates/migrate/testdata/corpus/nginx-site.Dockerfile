# A static site on the official nginx image's default server.
FROM nginx:1.27-bookworm
COPY site/ /usr/share/nginx/html/
EXPOSE 80
